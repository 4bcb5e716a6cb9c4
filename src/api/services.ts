/** The services the HTTP routes call; built in app.ts. */
import type { KeyTransfer } from "../keymanager/keyTransfer.js";
import type { ValidatorClientService } from "../keymanager/validatorClientService.js";
import type { ServiceMetrics } from "../metrics/metrics.js";
import type { MigrationService } from "../migration/migrationService.js";
import type { PerformanceQuery } from "../monitor/performanceQuery.js";
import type { ExitService } from "../exit/exitService.js";
import type { JobService } from "../registry/jobService.js";
import type { KeyRegistration } from "../registry/keyRegistration.js";
import type { Clock } from "../registry/clock.js";
import type { OperatorService } from "../registry/operatorService.js";
import type { RiskService } from "../risk/riskService.js";
import type { InventoryFindingsRepository } from "../store/inventoryFindings.js";
import type { ValidatorKeysRepository } from "../store/validatorKeys.js";

export interface ApiServices {
  readonly operators: OperatorService;
  readonly registration: KeyRegistration;
  readonly keys: ValidatorKeysRepository;
  readonly jobs: JobService;
  readonly clients: ValidatorClientService;
  readonly transfer: KeyTransfer;
  readonly findings: InventoryFindingsRepository;
  readonly metrics: ServiceMetrics;
  readonly performance: PerformanceQuery;
  readonly exits: ExitService;
  readonly risk: RiskService;
  readonly clock: Clock;
  readonly migrations: MigrationService;
}
