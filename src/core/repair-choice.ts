import type { Agreement, EnvironmentObservation } from './environment-agreement.js';

/**
 * What `rewind repair` makes true, decided from what really serves (pure):
 * - one release serves on every process: the link and the ledger follow it, nothing restarts;
 * - several serve (a reload cut short): the one the link names, else the one most processes run,
 *   is activated again, so every process runs it;
 * - nothing serves: the release the ledger records (else the link's) is started;
 * - the runtime cannot tell: the link, the target's own marker, is taken as the truth.
 */
export interface RepairChoice {
  version: string;
  /** relink: point the link only; activate: switch and reload/start through the runtime; record: the ledger only. */
  action: 'relink' | 'activate' | 'record';
  why: string;
}

export function chooseRepair(observation: EnvironmentObservation, agreement: Agreement): RepairChoice | null {
  const { ledger, link } = observation;
  const served = agreement.served;
  if (served === null) return link ? { version: link, action: 'record', why: `the runtime cannot tell what serves: the link's ${link} is taken as the truth` } : null;
  const releases = served.filter((s) => s.version !== null);
  if (releases.length === 1 && releases[0]!.processes === observation.served!.length) {
    const version = releases[0]!.version!;
    return { version, action: link === version ? 'record' : 'relink', why: `every process serves ${version}` };
  }
  if (releases.length > 0) {
    const byLink = releases.find((s) => s.version === link);
    const version = byLink?.version ?? releases[0]!.version!;
    const others = served.find((s) => s.version === null);
    const what = [...releases.map((s) => `${s.version} (${s.processes})`), ...(others ? [`something outside the releases (${others.processes})`] : [])].join(' and ');
    return { version, action: 'activate', why: `processes serve ${what}: ${version}${byLink ? ', which the link names,' : ', which most processes run,'} is activated again on all of them` };
  }
  const version = ledger ?? link;
  return version ? { version, action: 'activate', why: `nothing serves: ${version}, which the ${ledger ? 'ledger' : 'link'} names, is started` } : null;
}
