import type { Db } from "../db.ts";
import type { HealthService } from "./health.ts";
import type { LogService } from "./log/log-service.ts";

/** Every service the routers call; built once in app.ts (or by tests). */
export interface Services {
  health: HealthService;
  db?: Db;
  log?: LogService;
}
