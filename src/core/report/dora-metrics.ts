import type { DoraOperationRow, DoraRows, DoraSucceededDeploys } from '../../ports/ledger-dora.js';
import { percentile } from '../../util/percentile.js';

/**
 * The four keys from the ledger's rows (ports/ledger-dora.ts), by the definitions of DORA and of
 * the Four Keys project, using what rewind knows and Four Keys has to guess: which deploy a rollback
 * undid (its parent, or the deploy that put its from-version live), which rollbacks one incident
 * holds, when the failure was detected (the deploy's first failing step) and when service was
 * restored (the rollback's post-switch checks passed). Pure: same rows, same report. docs/dora.md
 * explains every rule below with examples.
 */

export interface DoraWindow {
  /** Epoch ms, inclusive. */
  since: number;
  /** Epoch ms, exclusive (now). */
  until: number;
}

/** DORA's answer options for deployment frequency. */
export type FrequencyBucket = 'on-demand' | 'daily-weekly' | 'weekly-monthly' | 'monthly-6-monthly' | 'fewer';
/** DORA's answer options for lead time and for time to restore. */
export type DurationBucket = 'under-an-hour' | 'hour-to-day' | 'day-to-week' | 'week-to-month' | 'month-to-6-months' | 'over-6-months';

export interface DoraReport {
  env: string;
  window: { sinceAt: number; untilAt: number; days: number };
  deploymentFrequency: {
    /** Successful production deploys started in the window. */
    deploys: number;
    perDay: number;
    perWeek: number;
    /** Distinct UTC days with a successful deploy. */
    deployDays: number;
    /** Median, over the window's whole 7-day periods back from its end, of the days in each with a successful deploy. */
    medianDeployDaysPerWeek: number;
    /** Median, over the window's whole 30-day periods back from its end, of the successful deploys in each. */
    medianDeploysPerMonth: number;
    bucket: FrequencyBucket;
    excluded: { failed: number; running: number; drill: number };
  };
  leadTime: {
    samples: number;
    medianMs: number | null;
    p90Ms: number | null;
    bucket: DurationBucket | null;
    /** Samples measured from the commit time given at register. */
    fromCommitTime: number;
    /** Samples measured from the register time because no commit time was recorded. */
    fromRegisterTime: number;
    excluded: { redeploys: number; commitAfterDeploy: number; noRelease: number; drill: number };
  };
  changeFailureRate: {
    /** Deploys started in the window that went live (succeeded, or switched and then failed). */
    deploys: number;
    /** Of those, the distinct deploys followed by a rollback or an incident. */
    failed: number;
    /** failed / deploys; null with no deploys. */
    rate: number | null;
    /** Failed deploys whose rollback belongs to an incident. */
    withIncident: number;
    /** Live deploys that failed verification with no rollback (paused watch, no LKG): not counted as failed. */
    failedUnrolledBack: number;
    excluded: { neverLive: number; running: number; drill: number; rollbacksOfEarlierDeploys: number };
  };
  timeToRestore: {
    samples: number;
    medianMs: number | null;
    p90Ms: number | null;
    bucket: DurationBucket | null;
    fromIncidents: number;
    /** Rollbacks recorded without an incident (ledgers from before incidents, or a failed incident write). */
    fromRollbacks: number;
    /** Samples restored by a rollback with no post-rollback check: restored as far as rewind can tell. */
    unverified: number;
    excluded: { notRestored: number; drill: number; partOfEarlierIncident: number };
  };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function durationBucket(ms: number | null): DurationBucket | null {
  if (ms === null) return null;
  if (ms < HOUR) return 'under-an-hour';
  if (ms < DAY) return 'hour-to-day';
  if (ms < 7 * DAY) return 'day-to-week';
  if (ms < 30 * DAY) return 'week-to-month';
  if (ms < 182 * DAY) return 'month-to-6-months';
  return 'over-6-months';
}

const median = (values: readonly number[]): number | null => percentile(values, 0.5);
const p90 = (values: readonly number[]): number | null => percentile(values, 0.9);

/**
 * Counts per whole period of `length` ms, back from the window's end (a window shorter than one
 * period is one period). The remainder at the oldest end is left out of these medians: a sliver of
 * a period would count as a period with nothing in it, and move the median by when you ran the report.
 * `weights[i]` deploys happened at `times[i]` (1 each when absent).
 */
function perPeriod(window: DoraWindow, length: number, times: readonly number[], weights: readonly number[] | undefined, distinctDays: boolean): number[] {
  const periods = Math.max(1, Math.floor((window.until - window.since) / length));
  const start = Math.max(window.since, window.until - periods * length);
  const days = Array.from({ length: periods }, () => new Set<number>());
  const counts = new Array<number>(periods).fill(0);
  for (let k = 0; k < times.length; k++) {
    const t = times[k]!;
    if (t < start || t >= window.until) continue;
    const i = Math.min(periods - 1, Math.floor((t - start) / length));
    counts[i]! += weights?.[k] ?? 1;
    // Days as 24-hour slots of the period, so a 7-day period has at most 7 of them.
    days[i]!.add(Math.floor((t - start) / DAY));
  }
  return distinctDays ? days.map((d) => d.size) : counts;
}

/**
 * Four Keys' bucket rules (median days per week with a deploy, median deploys per month) mapped
 * onto DORA's answer options; on-demand also asks for more than one deploy on a deploying day.
 * `weights[i]` deploys succeeded at `deployTimes[i]` (1 each when absent): the ledger's counted
 * groups arrive as one time per group, not one per deploy.
 */
export function frequencyBucket(window: DoraWindow, deployTimes: readonly number[], weights?: readonly number[]): { bucket: FrequencyBucket; medianDeployDaysPerWeek: number; medianDeploysPerMonth: number; deployDays: number } {
  const daysPerWeek = perPeriod(window, 7 * DAY, deployTimes, weights, true);
  const perMonth = perPeriod(window, 30 * DAY, deployTimes, weights, false);
  const medianDeployDaysPerWeek = median(daysPerWeek) ?? 0;
  const medianDeploysPerMonth = median(perMonth) ?? 0;
  const deployDays = new Set(deployTimes.map((t) => Math.floor(t / DAY))).size;
  const deploys = weights ? weights.reduce((a, b) => a + b, 0) : deployTimes.length;
  const windowDays = (window.until - window.since) / DAY;
  let bucket: FrequencyBucket;
  if (medianDeployDaysPerWeek >= 3 && deploys > deployDays) bucket = 'on-demand';
  else if (medianDeployDaysPerWeek >= 1) bucket = 'daily-weekly';
  else if (medianDeploysPerMonth >= 1) bucket = 'weekly-monthly';
  else if (deploys > 0 && (deploys * 182) / Math.max(windowDays, 1) >= 1) bucket = 'monthly-6-monthly';
  else bucket = 'fewer';
  return { bucket, medianDeployDaysPerWeek, medianDeploysPerMonth, deployDays };
}

const inWindow = (window: DoraWindow, at: number) => at >= window.since && at < window.until;

export function computeDora(env: string, rows: DoraRows, window: DoraWindow): DoraReport {
  const deploys = rows.operations.filter((o) => o.kind === 'deploy');
  const rollbacks = rows.operations.filter((o) => o.kind === 'rollback');
  // Only operations something names are looked up by id (a rollback's parent, an incident's
  // rollbacks): at 100k deploys a map of every id costs more than the rest of the arithmetic.
  const named = new Set<string>();
  for (const r of rollbacks) if (r.parentId !== null) named.add(r.parentId);
  for (const incident of rows.incidents) for (const id of incident.operationIds) named.add(id);
  const byId = new Map<string, DoraOperationRow>();
  for (const o of rows.operations) if (named.has(o.id)) byId.set(o.id, o);

  // Which deploy each rollback undid. Automatic: its parent. Manual: the deploy that put its
  // from-version live last before it started (the one serving when the operator rolled back).
  const rolledBack = new Set<string>();
  for (const r of rollbacks) if (r.parentId !== null) rolledBack.add(r.parentId);
  const isLive = (d: DoraOperationRow) => d.state === 'succeeded' || d.journal?.activated === true || rolledBack.has(d.id);
  const undid = new Map<DoraOperationRow, DoraOperationRow | undefined>();
  const manualFrom = new Set<string>();
  for (const r of rollbacks) if (r.parentId === null && r.fromVersion !== null) manualFrom.add(r.fromVersion);
  const liveByVersion = new Map<string, DoraOperationRow[]>();
  for (const d of deploys) if (manualFrom.has(d.toVersion) && isLive(d)) (liveByVersion.get(d.toVersion) ?? liveByVersion.set(d.toVersion, []).get(d.toVersion)!).push(d);
  for (const r of rollbacks) {
    if (r.parentId !== null) {
      undid.set(r, byId.get(r.parentId));
      continue;
    }
    const candidates = r.fromVersion === null ? [] : (liveByVersion.get(r.fromVersion) ?? []);
    let target: DoraOperationRow | undefined;
    for (const d of candidates) if (d.startedAt < r.startedAt && (!target || d.startedAt >= target.startedAt)) target = d;
    undid.set(r, target);
  }

  // ---- deployment frequency and change failure rate: deploys started in the window.
  const windowDeploys = deploys.filter((d) => inWindow(window, d.startedAt));
  const frequencyExcluded = { failed: 0, running: 0, drill: 0 };
  const cfrExcluded = { neverLive: 0, running: 0, drill: 0, rollbacksOfEarlierDeploys: 0 };
  const succeeded: DoraOperationRow[] = [];
  const live: DoraOperationRow[] = [];
  // The ledger's fast path (rows.succeeded): succeeded deploys are counted there; a row here is one
  // something names, needed only to be found live (it is, having succeeded) when a rollback undid it.
  const counted = rows.succeeded;
  const namedLive: DoraOperationRow[] = [];
  if (counted) {
    frequencyExcluded.drill += counted.drill;
    cfrExcluded.drill += counted.drill;
  }
  for (const d of windowDeploys) {
    if (counted && d.state === 'succeeded') {
      if (!d.drill) namedLive.push(d);
      continue;
    }
    if (d.drill) {
      frequencyExcluded.drill++;
      cfrExcluded.drill++;
      continue;
    }
    if (d.state === 'succeeded') succeeded.push(d);
    else if (d.state === 'running') frequencyExcluded.running++;
    else frequencyExcluded.failed++;
    // A deploy still running has no outcome yet, live or not: it is counted when it has one.
    if (d.state === 'running') cfrExcluded.running++;
    else if (isLive(d)) live.push(d);
    else cfrExcluded.neverLive++;
  }
  const failed = new Set<DoraOperationRow>();
  const withIncident = new Set<DoraOperationRow>();
  const liveSet = new Set([...live, ...namedLive]);
  const liveCount = live.length + (counted?.deploys ?? 0);
  for (const r of rollbacks) {
    if (r.drill || !inWindow(window, r.startedAt)) continue;
    const target = undid.get(r);
    if (!target || !liveSet.has(target)) {
      if (!target || target.startedAt < window.since) cfrExcluded.rollbacksOfEarlierDeploys++;
      continue;
    }
    failed.add(target);
    if (r.incidentId !== null) withIncident.add(target);
  }
  // An incident names operations; a deploy named directly (not through a rollback) failed too.
  for (const incident of rows.incidents) {
    for (const id of incident.operationIds) {
      const named = byId.get(id);
      if (named && liveSet.has(named)) {
        failed.add(named);
        withIncident.add(named);
      }
    }
  }
  const failedUnrolledBack = live.filter((d) => d.state !== 'succeeded' && !failed.has(d)).length;

  const days = (window.until - window.since) / DAY;
  const ownTimes = succeeded.map((d) => d.finishedAt ?? d.startedAt);
  const groups = counted ? timesOf(counted, window) : null;
  const successTimes = groups ? ownTimes.concat(groups.times) : ownTimes;
  const weights = groups ? ownTimes.map(() => 1).concat(groups.counts) : undefined;
  const deployCount = ownTimes.length + (counted?.deploys ?? 0);
  const frequency = frequencyBucket(window, successTimes, weights);

  // ---- lead time: a change's first successful production deploy, from its commit.
  const leadExcluded = { redeploys: 0, commitAfterDeploy: 0, noRelease: 0, drill: frequencyExcluded.drill };
  const leads: number[] = [];
  let fromCommitTime = 0;
  let fromRegisterTime = 0;
  const firstSeen = new Set<string>();
  if (counted) {
    Object.assign(leadExcluded, { redeploys: counted.lead.redeploys, commitAfterDeploy: counted.lead.commitAfterDeploy, noRelease: counted.lead.noRelease });
    fromCommitTime = counted.lead.fromCommitTime;
    fromRegisterTime = counted.lead.fromRegisterTime;
  }
  for (const d of succeeded) {
    if (d.deployedBefore || firstSeen.has(d.toVersion)) {
      leadExcluded.redeploys++;
      continue;
    }
    firstSeen.add(d.toVersion);
    const start = d.committedAt ?? d.registeredAt;
    if (start === null) {
      leadExcluded.noRelease++;
      continue;
    }
    const lead = (d.finishedAt ?? d.startedAt) - start;
    if (lead < 0) {
      leadExcluded.commitAfterDeploy++;
      continue;
    }
    leads.push(lead);
    if (d.committedAt !== null) fromCommitTime++;
    else fromRegisterTime++;
  }

  // ---- time to restore: per failure episode (an incident and its rollbacks, or a lone rollback), detected → restored.
  const restoreExcluded = { notRestored: 0, drill: 0, partOfEarlierIncident: 0 };
  const restores: number[] = [];
  let fromIncidents = 0;
  let fromRollbacks = 0;
  let unverified = 0;
  const episode = (members: DoraOperationRow[], personDetectedAt: number | null): { ms: number; verified: boolean } | null => {
    const ordered = [...members].sort((a, b) => a.startedAt - b.startedAt);
    const detections: number[] = [];
    let personUsed = false;
    for (const r of ordered) {
      const parent = r.parentId !== null ? byId.get(r.parentId) : undefined;
      if (parent?.journal?.firstFailedAt != null) detections.push(parent.journal.firstFailedAt);
      else if (r.parentId === null && !personUsed && personDetectedAt !== null) {
        detections.push(personDetectedAt);
        personUsed = true;
      }
    }
    const detected = detections.length ? Math.min(...detections) : ordered[0]!.startedAt;
    // Service is restored by the last rollback that restored it; a later rollback that failed undoes that.
    let restored: { at: number; verified: boolean } | null = null;
    for (const r of ordered) {
      const j = r.journal;
      if (r.state !== 'succeeded') restored = null;
      else if (j && j.checks > 0 && j.checksPassed === j.checks && j.lastCheckAt !== null) restored = { at: j.lastCheckAt, verified: true };
      else if (!j || j.checks === 0) restored = { at: r.finishedAt ?? r.startedAt, verified: false };
    }
    return restored ? { ms: Math.max(0, restored.at - detected), verified: restored.verified } : null;
  };
  const count = (result: { ms: number; verified: boolean } | null): boolean => {
    if (!result) {
      restoreExcluded.notRestored++;
      return false;
    }
    restores.push(result.ms);
    if (!result.verified) unverified++;
    return true;
  };
  const incidentIds = new Set(rows.incidents.map((i) => i.id));
  for (const incident of rows.incidents) {
    if (!inWindow(window, incident.openedAt)) continue;
    const members = incident.operationIds.map((id) => byId.get(id)).filter((o): o is DoraOperationRow => o?.kind === 'rollback');
    if (members.length === 0) continue;
    if (members.every((m) => m.drill)) {
      restoreExcluded.drill++;
      continue;
    }
    if (count(episode(members.filter((m) => !m.drill), incident.detectedAt))) fromIncidents++;
  }
  for (const r of rollbacks) {
    if (!inWindow(window, r.startedAt)) continue;
    if (r.incidentId !== null) {
      if (!incidentIds.has(r.incidentId)) restoreExcluded.partOfEarlierIncident++;
      continue;
    }
    if (r.drill) {
      restoreExcluded.drill++;
      continue;
    }
    if (count(episode([r], null))) fromRollbacks++;
  }

  const leadMedian = counted ? counted.lead.median : median(leads);
  const leadP90 = counted ? counted.lead.p90 : p90(leads);
  const leadSamples = counted ? counted.lead.samples : leads.length;
  const restoreMedian = median(restores);
  return {
    env,
    window: { sinceAt: window.since, untilAt: window.until, days: round(days, 2) },
    deploymentFrequency: {
      deploys: deployCount,
      perDay: round(deployCount / Math.max(days, 1 / 24), 3),
      perWeek: round((deployCount * 7) / Math.max(days, 1 / 24), 3),
      deployDays: frequency.deployDays,
      medianDeployDaysPerWeek: frequency.medianDeployDaysPerWeek,
      medianDeploysPerMonth: frequency.medianDeploysPerMonth,
      bucket: frequency.bucket,
      excluded: frequencyExcluded,
    },
    leadTime: {
      samples: leadSamples,
      medianMs: leadMedian === null ? null : Math.round(leadMedian),
      p90Ms: leadP90 === null ? null : Math.round(leadP90),
      bucket: durationBucket(leadMedian),
      fromCommitTime,
      fromRegisterTime,
      excluded: leadExcluded,
    },
    changeFailureRate: {
      deploys: liveCount,
      failed: failed.size,
      rate: liveCount ? round(failed.size / liveCount, 4) : null,
      withIncident: withIncident.size,
      failedUnrolledBack,
      excluded: cfrExcluded,
    },
    timeToRestore: {
      samples: restores.length,
      medianMs: restoreMedian === null ? null : Math.round(restoreMedian),
      p90Ms: restores.length ? Math.round(p90(restores)!) : null,
      bucket: durationBucket(restoreMedian),
      fromIncidents,
      fromRollbacks,
      unverified,
      excluded: restoreExcluded,
    },
  };
}

/**
 * A time for each of the ledger's groups of deploys that the frequency arithmetic cannot tell from
 * their real ones: the earliest instant in the same UTC day, the same slot back from the window's end
 * and the same slot from its start (each real time is in all three, so the latest of their starts
 * is too, and is no later than it). Periods are whole days counted from one of those ends. With the
 * group's size as the time's weight.
 */
function timesOf(counted: DoraSucceededDeploys, window: DoraWindow): { times: number[]; counts: number[] } {
  const times: number[] = [];
  const counts: number[] = [];
  for (const g of counted.times) {
    let t = g.absDay * DAY;
    t = Math.max(t, g.fromUntil === null ? window.until : window.until + g.fromUntil * DAY);
    if (g.fromSince !== null) t = Math.max(t, window.since + g.fromSince * DAY);
    times.push(t);
    counts.push(g.count);
  }
  return { times, counts };
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
