import type { RewindConfig } from '../../config/config-schema.js';
import type { IncidentRecord, Ledger } from '../../ports/ledger.js';
import { viewChecklist } from './checklist.js';
import { buildIncidentReport, renderReportMarkdown, type IncidentReport } from './incident-report.js';
import { viewIncident } from './incident-view.js';

/**
 * The report of one incident as `rewind incident report` prints it: the incident read back with its
 * timeline, and each of its rollbacks' checklists as they stand (rewind's ticks and people's).
 * The demo ends with the same report, so the two cannot drift apart.
 */
export async function incidentReportOf(ledger: Ledger, config: RewindConfig, incident: IncidentRecord): Promise<IncidentReport & { markdown: string }> {
  const view = await viewIncident(ledger, incident);
  const operations = await Promise.all(view.rollbacks.map((r) => ledger.getOperation(r.operationId)));
  const checklists = await Promise.all(operations.filter((op) => op !== undefined).map((op) => viewChecklist(ledger, config, op)));
  const report = buildIncidentReport(view, checklists);
  return { ...report, markdown: renderReportMarkdown(report) };
}
