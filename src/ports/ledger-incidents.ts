/**
 * The incident part of the ledger: one incident per environment is open at a time; every rollback
 * opens one or joins the open one. What rewind knows (severity, versions, the database plan) is in
 * `facts`, written by rewind only; what people add (impact, root cause...) is in `fields`. The
 * timeline is not stored: it is read from the operations' journals, so it cannot disagree with them.
 */

export type IncidentStatus = 'open' | 'closed';

/** One rollback of the incident, as rewind recorded it when the rollback ended. */
export interface IncidentRollbackFacts {
  operationId: string;
  /** The deploy whose failure started it (automatic rollbacks). */
  parentId: string | null;
  trigger: 'automatic' | 'manual';
  from: string | null;
  to: string;
  succeeded: boolean;
  /** The decision-matrix row that gave the severity (advisor IssueKind) and the rule in words. */
  issue: string;
  severity: string;
  rule: string;
  reason: string | null;
  /** What the rollback did to the database; absent: no database configured. */
  database?: {
    mode: string;
    reasons: string[];
    backupId?: number;
    /** When the restored backup was taken: writes made after it are lost. */
    backupTakenAt?: number;
  };
  /** With a `ci:` gate: the rollback target's CI as read when the rollback was planned (docs/ci.md). */
  ci?: {
    provider: string;
    repository: string;
    commit: string | null;
    verdict: string;
    summary: string;
    fetchedAt: number;
    /** The check runs and statuses that decided it: name, conclusion (or status while pending) and id. */
    checks: { name: string; result: string; id: number }[];
    allowedUntested?: boolean;
  };
}

export interface IncidentActionItem {
  text: string;
  addedAt: number;
  addedBy: string;
}

/** What people add. Absent keys are unknown (rendered as placeholders), never guessed. */
export interface IncidentFields {
  summary?: string;
  impact?: string;
  usersAffected?: string;
  rootCause?: string;
  prevention?: string;
  actionItems?: IncidentActionItem[];
  resolution?: string;
  /** Seed 002's root cause analysis: why it was not caught earlier. */
  whyNotCaught?: string;
  /** When a person noticed the problem (a manual rollback has no failing check to date it). */
  detectedAt?: number;
}

export interface NewIncident {
  env: string;
  severity: string;
  openedAt: number;
  rollbacks: IncidentRollbackFacts[];
}

export interface IncidentRecord extends NewIncident {
  id: number;
  status: IncidentStatus;
  closedAt: number | null;
  closedBy: string | null;
  fields: IncidentFields;
  updatedAt: number;
}

export interface IncidentChange {
  severity?: string;
  rollbacks?: IncidentRollbackFacts[];
  fields?: IncidentFields;
  status?: IncidentStatus;
  closedAt?: number | null;
  closedBy?: string | null;
}

/** A checklist item ticked by a person (rewind's own ticks are computed from the journal, not stored). */
export interface ChecklistTick {
  operationId: string;
  item: string;
  note: string;
  actor: string;
  at: number;
}

export interface IncidentLedger {
  /** Stores a new open incident. */
  createIncident(incident: NewIncident): Promise<IncidentRecord>;
  getIncident(id: number): Promise<IncidentRecord | undefined>;
  /** The open incident of the environment, if any (the newest, should there be more). */
  findOpenIncident(env: string): Promise<IncidentRecord | undefined>;
  /** Newest first; `env` and `status` filter. */
  listIncidents(options?: { env?: string; status?: IncidentStatus; limit?: number }): Promise<IncidentRecord[]>;
  /** Replaces the given parts; `updatedAt` is always set. Resolves false when no such incident. */
  updateIncident(id: number, change: IncidentChange, now: number): Promise<boolean>;
  /** The incident a rollback operation belongs to. */
  findIncidentByOperation(operationId: string): Promise<IncidentRecord | undefined>;

  /** Records a person's tick (a later tick of the same item replaces the note). */
  tickChecklistItem(tick: ChecklistTick): Promise<void>;
  listChecklistTicks(operationId: string): Promise<ChecklistTick[]>;
}
