/**
 * Test helper: the real api (createApp) in-process on a free port, on a fresh PostgreSQL database
 * and a real HSM sidecar (SoftHSM2).
 */
import net, { type AddressInfo } from "node:net";
import { createApp, type App } from "../app.ts";
import { createDb, type Db } from "../db.ts";
import { migrate } from "../db/migrate.ts";
import { loadEnv, type Env } from "../env.ts";
import { createTestDatabase } from "./database.ts";
import { startTestHsm, type TestHsm } from "./hsm.ts";

export interface TestApi {
  base: string;
  app: App;
  env: Env;
  db: Db;
  hsm: TestHsm;
  stop(): Promise<void>;
}

export async function startTestApi(extraEnv: Record<string, string> = {}): Promise<TestApi> {
  const database = await createTestDatabase("api");
  let db: Db | undefined;
  let hsm: TestHsm | undefined;
  // A failure part-way (a bad configuration in a test, say) must not leave a sidecar or a database behind.
  try {
    await migrate(database.url);
    db = createDb(database.url);
    hsm = await startTestHsm();
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const env = loadEnv({ DATABASE_URL: database.url, SIGNET_DATA_DIR: hsm.dataDir, SIGNET_API_PORT: String(port), ...extraEnv });
    const app = await createApp(env, { db, hsm: hsm.client });
    await new Promise<void>((r) => app.server.listen(port, "127.0.0.1", r));
    const [liveDb, liveHsm] = [db, hsm];
    return {
      base: `http://localhost:${port}`,
      app,
      env,
      db: liveDb,
      hsm: liveHsm,
      async stop() {
        await app.stop();
        await liveDb.$disconnect();
        await liveHsm.stop();
        await database.drop();
      },
    };
  } catch (e) {
    await db?.$disconnect().catch(() => {});
    await hsm?.stop().catch(() => {});
    await database.drop().catch(() => {});
    throw e;
  }
}
