/**
 * Structured events: `rollback_start`, `rollback_complete`, `deploy_start`, `step_start`, … Each is
 * one JSON line in the event log and a row in the ledger's audit table.
 */
export interface RewindEvent {
  event: string;
  env: string;
  operationId?: string | null;
  from?: string | null;
  to?: string | null;
  [field: string]: unknown;
}

export interface EventSink {
  emit(event: RewindEvent): Promise<void>;
}
