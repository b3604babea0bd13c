import type { ChecklistItemConfig } from '../../config/parts/incident-settings.js';

export type ChecklistPhase = 'pre' | 'during' | 'post';

/**
 * The seeds' rollback checklists as data: seed 001 ("Before / During / After rollback"), seed 002
 * and seed 004 ("Pre- / During / Post-Rollback"), one item where they say the same thing. An item
 * with a `proof` is ticked by rewind when the journal shows it; the others are a person's job.
 * `{watchMinutes}` is incidents.watchMinutes.
 */
export const DEFAULT_CHECKLISTS: Record<ChecklistPhase, ChecklistItemConfig[]> = {
  pre: [
    { id: 'rollback-version', text: 'Identify the stable version to roll back to (last known good)', proof: 'rollback-version' },
    { id: 'severity-confirmed', text: 'Severity confirmed' },
    { id: 'impact-assessed', text: 'Impact assessed' },
    { id: 'root-cause-identified', text: 'Identify the root cause of the issue' },
    { id: 'team-notified', text: 'Notify the team of the rollback decision' },
    { id: 'incident-ticket', text: 'Create an incident ticket for tracking', proof: 'incident' },
    { id: 'backup-created', text: 'Create a database backup', proof: 'backup' },
    { id: 'current-state', text: 'Document the current state', proof: 'current-state' },
    { id: 'communication-prepared', text: 'Communication prepared' },
  ],
  during: [
    { id: 'rollback-executed', text: 'Execute the rollback procedure (application rolled back, services restarted)', proof: 'rollback-executed' },
    { id: 'database-rolled-back', text: 'Database rolled back (if needed)', proof: 'database-rollback' },
    { id: 'cache-cleared', text: 'Cache cleared (if needed)' },
    { id: 'monitor-logs', text: 'Monitor error logs and process status' },
    { id: 'watch-metrics', text: 'Watch performance metrics' },
    { id: 'critical-paths', text: 'Test critical paths (health checks and smoke tests)', proof: 'smoke' },
    { id: 'database-connectivity', text: 'Check database connectivity and query performance', proof: 'db-verify' },
    { id: 'team-updated', text: 'Team updated' },
  ],
  post: [
    { id: 'services-healthy', text: 'Verify all services healthy', proof: 'health' },
    { id: 'smoke-tests', text: 'Run smoke tests', proof: 'smoke' },
    { id: 'database-integrity', text: 'Check database integrity', proof: 'db-verify' },
    { id: 'ci-passed', text: "Confirm the rolled-back release passed CI (if not, you're now running untested code: a separate incident)", proof: 'ci' },
    { id: 'monitor-window', text: 'Monitor for {watchMinutes} minutes', proof: 'watch-window' },
    { id: 'metrics-normalized', text: 'Metrics normalized', proof: 'metrics' },
    { id: 'status-page', text: 'Update status page' },
    { id: 'users-notified', text: 'Users notified' },
    { id: 'incident-documented', text: 'Document the incident (impact and root cause in the incident record)', proof: 'incident-documented' },
    { id: 'review-logs', text: 'Review logs and metrics to understand the failure' },
    { id: 'postmortem-scheduled', text: 'Schedule the post-mortem' },
    { id: 'fix-and-redeploy', text: 'Fix the issue and re-deploy when ready' },
  ],
};
