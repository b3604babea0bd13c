// The modes of `notify.drills`, apart from drill-notices.ts so that the config schema reads them
// without loading any notifier code (src/adapters/registry.test.ts holds definitions to that).
export const DRILL_NOTICES = ['summary', 'quiet', 'off'] as const;
export type DrillNotices = (typeof DRILL_NOTICES)[number];
export const DEFAULT_DRILL_NOTICES: DrillNotices = 'summary';
