import { relative } from 'node:path';
import { expect } from 'vitest';
import { createTestFileTmpdir, RUN_TEMP_VARIABLE } from './leftover-guard.js';

/*
 * vitest setupFile: before a test file is imported, it gets a TMPDIR of its own inside the run's
 * private one (leftover-guard.ts), inherited by everything it starts; what it leaves there is then
 * reported under its name. A worker runs several files one after the other: each gets a new one.
 */
const runTemp = process.env[RUN_TEMP_VARIABLE];
if (runTemp) process.env.TMPDIR = createTestFileTmpdir(runTemp, relative(process.cwd(), expect.getState().testPath ?? 'unknown'));
