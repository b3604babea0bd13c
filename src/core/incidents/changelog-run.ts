import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../util/atomic-file.js';
import type { RewindConfig } from '../../config/config-schema.js';
import { RewindError } from '../../errors/rewind-error.js';
import type { IncidentRecord } from '../../ports/ledger.js';
import { unifiedDiff } from '../../util/unified-diff.js';
import type { Services } from '../services.js';
import { annotateChangelog, type ChangelogAnnotation } from './changelog-annotate.js';
import { requireIncident } from './incident-changes.js';

export interface ChangelogResult {
  incidentId: number;
  path: string;
  section: 'Fixed' | 'Security';
  /** Whether the file changed (or, with --dry-run, would change). */
  changed: boolean;
  dryRun: boolean;
  diff: string;
}

/** An incident has user impact once a person recorded it (`incident update --impact` or `--users-affected`). */
export const hasUserImpact = (incident: IncidentRecord): boolean => Boolean(incident.fields.impact?.trim() || incident.fields.usersAffected?.trim());

/**
 * `rewind incident changelog`: annotates the configured CHANGELOG for an incident with user impact.
 * Reads, transforms, and writes through a temp file and a rename (a reader sees the old file or the
 * new one); nothing is written when nothing changes, so a second run is a no-op. Audited when written.
 */
export async function changelogForIncident(services: Services, config: RewindConfig, id: string, options: { dryRun?: boolean; security?: boolean } = {}): Promise<ChangelogResult> {
  const settings = config.incidents?.changelog;
  if (!settings) throw new RewindError('REWIND_E_CHANGELOG_NOT_CONFIGURED', 'no CHANGELOG is configured: set incidents.changelog.path in the config', {});
  const incident = await requireIncident(services.ledger, id);
  if (!hasUserImpact(incident)) {
    throw new RewindError('REWIND_E_CHANGELOG_NO_IMPACT', `incident #${incident.id} has no user impact recorded: record it with \`rewind incident update ${incident.id} --impact ...\` first`, { env: incident.env, incident: incident.id });
  }
  const section = options.security ? 'Security' : settings.section === 'auto' ? 'Fixed' : settings.section;
  const annotation: ChangelogAnnotation = {
    incidentId: incident.id,
    section,
    rollbacks: incident.rollbacks.filter((r) => r.from !== null).map((r) => ({ from: r.from!, to: r.to, reason: r.reason ?? '' })),
  };
  let before: string;
  try {
    before = await readFile(settings.path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new RewindError('REWIND_E_CHANGELOG_NOT_FOUND', `the CHANGELOG ${settings.path} does not exist; nothing was changed`, { path: settings.path, incident: incident.id });
  }
  const after = annotateChangelog(before, annotation);
  const result: ChangelogResult = { incidentId: incident.id, path: settings.path, section, changed: after !== before, dryRun: options.dryRun ?? false, diff: unifiedDiff(before, after, `a/${settings.path}`, `b/${settings.path}`) };
  if (options.dryRun || !result.changed) return result;
  await writeFileAtomic(settings.path, after);
  await services.sink.emit({ event: 'incident_changelog', env: incident.env, incidentId: incident.id, path: settings.path, section, yanked: [...new Set(annotation.rollbacks.map((r) => r.from))] });
  return result;
}
