import { fileSource, flagLoopSuite } from './support/flag-loop.js';

// Feature flags a release declares: a rollback turns them off in a real JSON flag file, a
// roll-forward puts them back, each as a journaled step of the plan (test/support/flag-loop.ts).
// Built CLI, the smallest sandbox (real PM2, SQLite ledger). The HTTP source: flags-http-e2e.test.ts.

flagLoopSuite('a flag file', fileSource);
