import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests drive real PM2 daemons and databases; give them room but keep files parallel.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default on 2 cores is one worker (cpus - 1); the integration tests mostly wait on the
    // processes and servers they drive, so two files at a time use the machine instead of idling it.
    maxWorkers: 2,
    // The run gets a private TMPDIR (and cache and PM2 homes), each test file one of its own in it;
    // whatever a test leaves there, mounted or running fails the run, named by test file, and is
    // removed (test/support/leftover-guard.ts).
    globalSetup: ['test/support/leftover-guard.ts'],
    setupFiles: ['test/support/test-file-tmpdir.ts'],
  },
});
