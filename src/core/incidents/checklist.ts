import type { RewindConfig } from '../../config/config-schema.js';
import type { ChecklistItemConfig, ChecklistProof } from '../../config/parts/incident-settings.js';
import { RewindError } from '../../errors/rewind-error.js';
import type { IncidentRecord, Ledger, OperationRecord, StepRecord } from '../../ports/ledger.js';
import type { Plan } from '../plan.js';
import type { Services } from '../services.js';
import { DEFAULT_CHECKLISTS, type ChecklistPhase } from './checklist-defaults.js';

/**
 * A rollback's checklist: the configured items (default: the seeds'), each ticked by rewind with
 * the journal's evidence, ticked by a person with a note, not applicable (with why), or open.
 * Computed from stored data on every read: rewind's ticks cannot disagree with the journal.
 */
export type ItemState = 'done' | 'not-applicable' | 'open';

export interface ChecklistItemView {
  phase: ChecklistPhase;
  id: string;
  text: string;
  state: ItemState;
  /** Who ticked it: rewind (from the journal) or a person; null when open or not applicable. */
  by: 'rewind' | 'person' | null;
  /** rewind's evidence, or why it is open / not applicable. */
  evidence: string;
  note?: string;
  actor?: string;
  at?: number;
}

export interface ChecklistView {
  operationId: string;
  env: string;
  from: string | null;
  to: string;
  items: ChecklistItemView[];
  open: string[];
}

type Verdict = { state: ItemState; evidence: string };
const PHASES: ChecklistPhase[] = ['pre', 'during', 'post'];

export function checklistItems(config: RewindConfig): (ChecklistItemConfig & { phase: ChecklistPhase })[] {
  const settings = incidentSettings(config);
  return PHASES.flatMap((phase) => (settings.checklists?.[phase] ?? DEFAULT_CHECKLISTS[phase]).map((item) => ({ ...item, phase, text: item.text.replaceAll('{watchMinutes}', String(settings.watchMinutes)) })));
}

export async function requireRollback(ledger: Ledger, operationId: string): Promise<OperationRecord> {
  const operation = await ledger.getOperation(operationId);
  if (!operation || operation.kind !== 'rollback') throw new RewindError('REWIND_E_OPERATION_NOT_FOUND', `no rollback operation ${JSON.stringify(operationId)}`, { operationId });
  return operation;
}

export async function viewChecklist(ledger: Ledger, config: RewindConfig, operation: OperationRecord): Promise<ChecklistView> {
  const steps = await ledger.listSteps(operation.id);
  const ticks = new Map((await ledger.listChecklistTicks(operation.id)).map((t) => [t.item, t]));
  const incident = await ledger.findIncidentByOperation(operation.id);
  const proof = new Proofs(ledger, operation, steps, incident, incidentSettings(config).watchMinutes);
  const items: ChecklistItemView[] = [];
  for (const item of checklistItems(config)) {
    const auto = item.proof ? await proof.check(item.proof) : { state: 'open' as const, evidence: "a person's job: tick it with `rewind checklist tick`" };
    const tick = ticks.get(item.id);
    const base = { phase: item.phase, id: item.id, text: item.text };
    if (auto.state === 'done') items.push({ ...base, state: 'done', by: 'rewind', evidence: auto.evidence });
    else if (tick) items.push({ ...base, state: 'done', by: 'person', evidence: auto.evidence, note: tick.note, actor: tick.actor, at: tick.at });
    else items.push({ ...base, state: auto.state, by: null, evidence: auto.evidence });
  }
  return { operationId: operation.id, env: operation.env, from: operation.fromVersion, to: operation.toVersion, items, open: items.filter((i) => i.state === 'open').map((i) => i.id) };
}

/** A person ticks an item (one rewind could not prove, or one it did, to add a note); audited. */
export async function tickItem(services: Services, operationId: string, item: string, note: string): Promise<ChecklistView> {
  const operation = await requireRollback(services.ledger, operationId);
  const known = checklistItems(services.config).map((i) => i.id);
  if (!known.includes(item)) throw new RewindError('REWIND_E_CHECKLIST_ITEM_UNKNOWN', `the checklist has no item ${JSON.stringify(item)} (items: ${known.join(', ')})`, { item });
  if (!note.trim()) throw new RewindError('REWIND_E_USAGE', 'checklist tick needs --note "<what was done>" for the audit log', { argument: '--note' });
  await services.ledger.tickChecklistItem({ operationId, item, note, actor: services.actor, at: services.now() });
  await services.sink.emit({ event: 'checklist_ticked', env: operation.env, operationId, item, note });
  return viewChecklist(services.ledger, services.config, operation);
}

class Proofs {
  constructor(
    private readonly ledger: Ledger,
    private readonly operation: OperationRecord,
    private readonly steps: StepRecord[],
    private readonly incident: IncidentRecord | undefined,
    private readonly watchMinutes: number,
  ) {}

  private get plan(): Plan {
    return this.operation.plan as Plan;
  }

  private step(...kinds: string[]): StepRecord | undefined {
    return this.steps.find((s) => kinds.includes(s.kind));
  }

  private passed(kinds: string[], missing: string): Verdict {
    const step = this.step(...kinds);
    if (!step) return { state: 'open', evidence: missing };
    if (step.state !== 'succeeded') return { state: 'open', evidence: `step ${step.stepId} ${step.state}: ${messageOf(step)}` };
    return { state: 'done', evidence: `step ${step.stepId}: ${messageOf(step)}` };
  }

  async check(proof: ChecklistProof): Promise<Verdict> {
    switch (proof) {
      case 'rollback-version':
        return { state: 'done', evidence: `${this.operation.toVersion}: ${this.plan.notes?.[0] ?? 'named in the plan'}` };
      case 'incident':
        return this.incident ? { state: 'done', evidence: `incident #${this.incident.id} (${this.incident.status}, severity ${this.incident.severity})` } : { state: 'open', evidence: 'no incident is recorded for this rollback' };
      case 'current-state':
        return this.currentState();
      case 'backup':
        return this.backup();
      case 'rollback-executed':
        return this.passed(['activate', 'shift-traffic'], 'the journal has no activation step');
      case 'database-rollback': {
        const db = this.plan.database;
        if (!db) return { state: 'not-applicable', evidence: 'no database configured: a code-only rollback' };
        if (db.mode === 'code-only' || db.mode === 'skip') return { state: 'not-applicable', evidence: `database ${db.mode}: ${db.reasons.join('; ')}` };
        return this.passed(['db-restore', 'db-down'], `database plan ${db.mode}, but no restore or down step in the journal`);
      }
      case 'health':
        return this.passed(['health'], 'no health check is configured: the rolled-back release was not probed');
      case 'smoke':
        return this.passed(['smoke'], 'no smoke suite is configured (environments.<name>.smoke)');
      case 'db-verify':
        return this.passed(['db-verify'], this.plan.database ? 'no verify step: the database was not restored' : 'no database configured');
      case 'watch-window':
        return this.watchWindow();
      case 'metrics':
        return this.metrics();
      case 'ci':
        return this.ci();
      case 'incident-documented': {
        const fields = this.incident?.fields;
        if (fields?.impact && fields.rootCause) return { state: 'done', evidence: `incident #${this.incident!.id} records impact and root cause` };
        return { state: 'open', evidence: this.incident ? `incident #${this.incident.id} lacks ${[fields?.impact ? '' : 'impact', fields?.rootCause ? '' : 'root cause'].filter(Boolean).join(' and ')}: rewind incident update` : 'no incident is recorded' };
      }
    }
  }

  /** Seed 003: with a ci: gate, what GitHub said when the rollback was planned; without, the result recorded at register. */
  private async ci(): Promise<Verdict> {
    const to = this.operation.toVersion;
    const ci = this.plan.ci;
    if (ci) {
      const where = `${ci.provider} ${ci.repository}${ci.commit ? `@${ci.commit}` : ''}, read ${new Date(ci.fetchedAt).toISOString()}`;
      if (ci.verdict === 'passed') return { state: 'done', evidence: `${to} passed CI on ${where}: ${ci.summary}` };
      return { state: 'open', evidence: `${to} had not passed CI on ${where} (${ci.verdict}: ${ci.summary}); --allow-untested let it through: untested code runs, a separate incident` };
    }
    const release = await this.ledger.getRelease(this.operation.env, to);
    if (release?.ci === 'passed') return { state: 'done', evidence: `${to}'s CI result recorded at register is passed (release register --ci; no ci: gate asked GitHub)` };
    return { state: 'open', evidence: `${to}'s CI result recorded at register is ${release?.ci ?? 'unknown'}, not passed: untested code runs, a separate incident` };
  }

  private async currentState(): Promise<Verdict> {
    const from = this.operation.fromVersion;
    if (!from) return { state: 'done', evidence: 'nothing ran before the rollback (recorded in the plan)' };
    const release = await this.ledger.getRelease(this.operation.env, from);
    return { state: 'done', evidence: `the journal records ${from}${release ? ` (${release.digest}, state ${release.state})` : ''} as what ran before operation ${this.operation.id}` };
  }

  private async backup(): Promise<Verdict> {
    const taken = this.steps.find((s) => s.kind === 'db-backup' && s.state === 'succeeded');
    const takenId = (taken?.detail as { backupId?: number } | null)?.backupId;
    if (takenId !== undefined) return this.describeBackup(takenId, 'safety backup taken by this rollback');
    const from = this.operation.fromVersion ? await this.ledger.getRelease(this.operation.env, this.operation.fromVersion) : undefined;
    const preUpgrade = from?.database?.preUpgradeBackupId;
    if (preUpgrade !== null && preUpgrade !== undefined) return this.describeBackup(preUpgrade, `pre-upgrade backup taken before ${from!.version} was deployed`);
    if (!this.plan.database) return { state: 'not-applicable', evidence: 'no database configured' };
    return { state: 'open', evidence: 'no backup recorded for this rollback' };
  }

  private async describeBackup(id: number, what: string): Promise<Verdict> {
    const backup = await this.ledger.getBackup(id);
    if (!backup) return { state: 'open', evidence: `backup #${id} is not in the ledger` };
    return { state: 'done', evidence: `${what}: backup #${id}, sha256 ${backup.sha256}, taken ${new Date(backup.createdAt).toISOString()}` };
  }

  private watchWindow(): Verdict {
    const watch = this.step('watch');
    const needed = this.watchMinutes * 60_000;
    if (!watch) return { state: 'open', evidence: `no post-rollback watch ran (watch.afterRollbackMs or rollback --watch): watch ${this.watchMinutes} minutes by hand, then tick it` };
    if (watch.state !== 'succeeded') return { state: 'open', evidence: `the post-rollback watch ${watch.state}: ${messageOf(watch)}` };
    // The window's configured length, not the wall time: its last measurement is taken one interval before it ends.
    const windowMs = (watch.detail as { windowMs?: number } | null)?.windowMs ?? (watch.finishedAt ?? watch.startedAt) - watch.startedAt;
    if (windowMs < needed) return { state: 'open', evidence: `the post-rollback watch passed but lasted ${lengthOf(windowMs)}, less than ${this.watchMinutes} min (incidents.watchMinutes)` };
    return { state: 'done', evidence: `step ${watch.stepId} watched ${this.operation.toVersion} for ${lengthOf(windowMs)}, ${samplesOf(watch)}: ${messageOf(watch)}` };
  }

  private metrics(): Verdict {
    const verdict = this.passed(['watch'], 'no post-rollback watch ran: no metrics verdict');
    const watch = this.step('watch');
    return verdict.state === 'done' && watch ? { ...verdict, evidence: `${verdict.evidence} (${samplesOf(watch)})` } : verdict;
  }
}

/** incidents: is optional in rewind.yaml; absent, every default holds. */
const incidentSettings = (config: RewindConfig) => config.incidents ?? { watchMinutes: 30, checklists: undefined };

const messageOf = (step: StepRecord): string => (step.detail as { message?: string } | null)?.message ?? step.state;

const samplesOf = (step: StepRecord): string => {
  const measured = (step.detail as { measurements?: { seq: number }[] } | null)?.measurements ?? [];
  return `${new Set(measured.map((m) => m.seq)).size} samples`;
};

const lengthOf = (ms: number): string => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 6_000) / 10} min`);
