import type { HealthService } from "./health.ts";

/** Every service the routers call; built once in main.ts (or by tests). */
export interface Services {
  health: HealthService;
}
