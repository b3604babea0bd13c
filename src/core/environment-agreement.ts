import type { ServedProcess } from '../ports/target.js';

/**
 * The three places that say which release an environment runs: the ledger's record, the target's
 * own marker (the `current` link), and the processes that really serve. After every operation they
 * agree; a crash, a Ctrl-C or a hand-run command can make them disagree, and then nothing may stay
 * silent: `status` shows it, deploys and rollbacks refuse to plan from a wrong record, and
 * `rewind repair` reconciles it from what serves.
 */
export interface EnvironmentObservation {
  ledger: string | null;
  link: string | null;
  /** One entry per live process (or, behind a router, per slot taking traffic); null when it cannot be told. */
  served: ServedProcess[] | null;
  /** What the entries of `served` are: processes (the default), or slots taking a share of traffic. */
  servedBy?: 'processes' | 'slots';
}

export interface ServedSummary {
  version: string | null;
  processes: number;
}

export interface Agreement {
  agree: boolean;
  /** What serves, grouped by release, most processes first (null: cannot tell). */
  served: ServedSummary[] | null;
  problems: string[];
  /** Whether the only problem is that nothing runs: a stopped app, not a disagreement about which release. */
  onlyDown: boolean;
}

export function summariseServed(served: readonly ServedProcess[]): ServedSummary[] {
  const counts = new Map<string | null, number>();
  for (const process of served) counts.set(process.version, (counts.get(process.version) ?? 0) + 1);
  return [...counts.entries()].map(([version, processes]) => ({ version, processes })).sort((a, b) => b.processes - a.processes || String(a.version).localeCompare(String(b.version)));
}

export function judgeAgreement(observation: EnvironmentObservation): Agreement {
  const { ledger, link } = observation;
  const problems: string[] = [];
  let down = false;
  if (ledger !== link) problems.push(`the ledger records ${ledger ?? 'nothing'} as current but the link points at ${link ?? 'nothing'}`);
  const served = observation.served === null ? null : summariseServed(observation.served);
  if (served !== null && observation.servedBy === 'slots') {
    const where = observation.served!.map((s) => `${s.version ?? 'nothing'} on ${s.where}`).join(' and ');
    down = served.length === 0 && (ledger !== null || link !== null);
    if (down) problems.push(`the router sends traffic to no slot (the ledger records ${ledger ?? 'nothing'})`);
    else if (served.length > 1) problems.push(`traffic is split: ${where}, while the link points at ${link ?? 'nothing'}`);
    else if (served[0]!.version !== link) problems.push(`all traffic goes to ${where} while the link points at ${link ?? 'nothing'}`);
  } else if (served !== null) {
    const total = observation.served!.length;
    down = total === 0 && (ledger !== null || link !== null);
    if (down) problems.push(`nothing serves: no process of the app runs (the ledger records ${ledger ?? 'nothing'})`);
    for (const group of served) {
      if (group.version === null) problems.push(`${group.processes} of ${total} processes run from outside the releases directory`);
      else if (group.version !== link) problems.push(`${group.processes} of ${total} processes serve ${group.version} while the link points at ${link ?? 'nothing'}`);
    }
  }
  return { agree: problems.length === 0, served, problems, onlyDown: down && problems.length === 1 };
}

/** "1.1.0 (2 processes)", "1.0.0 (1) and 1.1.0 (1)", "nothing", "unknown". */
export function describeServed(served: readonly ServedSummary[] | null): string {
  if (served === null) return 'unknown (the runtime cannot tell)';
  if (served.length === 0) return 'nothing (no process runs)';
  return served.map((s) => `${s.version ?? 'outside the releases'} (${s.processes} process${s.processes === 1 ? '' : 'es'})`).join(' and ');
}
