import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests drive real PM2 daemons and databases; give them room but keep files parallel.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
