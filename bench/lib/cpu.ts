/**
 * CPU seconds (user + system) used so far by each Signet component's processes, read from /proc, so a
 * benchmark can report CPU per operation by component and how busy unrelated processes kept the machine.
 */
import { generateKeyPairSync, sign, verify } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";

const USER_HZ = 100;

export type CpuSample = Record<string, number>;

/** CPU seconds of each unrelated process at the last sample, by pid (see describeCpu). */
const otherByPid = new WeakMap<CpuSample, Map<string, number>>();

export function cpuByComponent(): CpuSample {
  const out: CpuSample = { api: 0, hsm: 0, idp: 0, postgres: 0, "load generator": 0, other: 0 };
  const others = new Map<string, number>();
  otherByPid.set(out, others);
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cpu = (Number(fields[11]) + Number(fields[12])) / USER_HZ;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      const key = cmd.includes("apps/api/src/main.ts")
        ? "api"
        : cmd.includes("apps/hsm/src/main.ts")
          ? "hsm"
          : cmd.includes("apps/idp/src/main.ts")
            ? "idp"
            : cmd.startsWith("postgres") || cmd.includes("/postgresql/")
              ? "postgres"
              : Number(pid) === process.pid
                ? "load generator"
                : "other";
      out[key]! += cpu;
      if (key === "other") others.set(pid, cpu);
    } catch {
      // the process ended between the listing and the read
    }
  }
  return out;
}

/** "api 856 µs, hsm 167 µs, …" per operation between two samples, and the load of unrelated processes in cores. */
export function describeCpu(before: CpuSample, after: CpuSample, operations: number, seconds: number): string {
  const per = Object.keys(after)
    .filter((k) => k !== "other" && after[k]! - before[k]! > 0)
    .map((k) => `${k} ${(((after[k]! - before[k]!) / Math.max(operations, 1)) * 1e6).toFixed(0)} µs`)
    .join(", ");
  // Per process, so that one that exited in between does not count as negative time.
  const was = otherByPid.get(before);
  const now = otherByPid.get(after);
  let other = after.other! - before.other!;
  if (was && now) {
    other = 0;
    for (const [pid, cpu] of now) other += cpu - (was.get(pid) ?? 0);
  }
  return `${per}; unrelated processes used ${(Math.max(0, other) / seconds).toFixed(2)} cores meanwhile`;
}

/**
 * A gauge of this machine's speed right now: P-256 ECDSA verifications per CPU-second on one thread
 * (node:crypto, OpenSSL). The VMs these benches run on slow down and speed up by tens of percent
 * between runs (every process's CPU per operation moves together), so each run prints the gauge beside
 * its figures; compare runs only with their gauges in view.
 */
export function machineGauge(seconds = 0.5): number {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const data = Buffer.from("signet machine gauge");
  const signature = sign("sha256", data, privateKey);
  for (let i = 0; i < 200; i++) verify("sha256", data, publicKey, signature); // warm-up
  const start = process.cpuUsage();
  let n = 0;
  let used = 0;
  while (used < seconds) {
    for (let i = 0; i < 100; i++) if (!verify("sha256", data, publicKey, signature)) throw new Error("gauge: signature did not verify");
    n += 100;
    const u = process.cpuUsage(start);
    used = (u.user + u.system) / 1e6;
  }
  return n / used;
}
