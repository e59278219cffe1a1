/** Component health: each check resolves when its dependency answers within the deadline. */
export type HealthCheck = () => Promise<unknown>;

export interface HealthReport {
  status: "ok" | "degraded";
  checks: Record<string, { status: "ok" | "unreachable"; ms: number; detail?: unknown }>;
}

export function createHealthService(checks: Record<string, HealthCheck>, timeoutMs = 2_000) {
  return {
    async report(): Promise<HealthReport> {
      const entries = await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          const started = performance.now();
          try {
            const detail = await withTimeout(check(), timeoutMs);
            return [name, { status: "ok" as const, ms: Math.round(performance.now() - started), ...(detail !== undefined ? { detail } : {}) }] as const;
          } catch {
            return [name, { status: "unreachable" as const, ms: Math.round(performance.now() - started) }] as const;
          }
        }),
      );
      const result = Object.fromEntries(entries);
      return { status: entries.every(([, c]) => c.status === "ok") ? "ok" : "degraded", checks: result };
    },
  };
}

export type HealthService = ReturnType<typeof createHealthService>;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("timeout")), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}
