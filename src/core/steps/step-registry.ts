import type { StepKind } from '../plan.js';
import type { StepExecutor } from './step-context.js';
import { baselineHealth, diskSpace, recordRunning } from './preflight-steps.js';
import { dbBackup, dbCheckBackup, dbDown, dbRestore, dbVerify, driftCheck, migrate, migrationsCheck, stopApp } from './database-steps.js';
import { baselineMetrics, watchWindow } from './watch-steps.js';
import { flagsOff, flagsRestore } from './flag-steps.js';
import { canaryAnalysis, shiftTraffic, startSlot } from './traffic-steps.js';
import { reconcile, recordCurrent } from './repair-steps.js';
import { stateCheck, stateCleanup, stateRestore, stateSnapshot } from './state-steps.js';
import { activate, health, markGood, prepare, prune, rollbackComplete, rollbackStart, smoke } from './release-steps.js';

/** One executor per step kind; the runner looks steps up here rather than branching on kind strings. */
export const STEP_EXECUTORS: Record<StepKind, StepExecutor> = {
  'record-running': recordRunning,
  'disk-space': diskSpace,
  'baseline-health': baselineHealth,
  prepare,
  activate,
  health,
  'mark-good': markGood,
  prune,
  'rollback-start': rollbackStart,
  'rollback-complete': rollbackComplete,
  'db-backup': dbBackup,
  'migrations-check': migrationsCheck,
  migrate,
  'db-check-backup': dbCheckBackup,
  'stop-app': stopApp,
  'db-restore': dbRestore,
  'db-verify': dbVerify,
  'drift-check': driftCheck,
  'db-down': dbDown,
  smoke,
  'baseline-metrics': baselineMetrics,
  watch: watchWindow,
  'start-slot': startSlot,
  'shift-traffic': shiftTraffic,
  'canary-analysis': canaryAnalysis,
  reconcile,
  'record-current': recordCurrent,
  'state-snapshot': stateSnapshot,
  'state-check': stateCheck,
  'state-restore': stateRestore,
  'state-cleanup': stateCleanup,
  'flags-off': flagsOff,
  'flags-restore': flagsRestore,
};
