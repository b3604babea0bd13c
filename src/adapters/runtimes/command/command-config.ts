import * as z from 'zod';
import { argv, positiveMs } from '../../../config/parts/schema-parts.js';

export const COMMAND_RUNTIME_TYPE = 'command';

export const commandRuntimeSchema = z.strictObject({
  type: z.literal(COMMAND_RUNTIME_TYPE),
  start: argv.describe('argv run to start the app. {release_dir}, {current_dir} and {version} are substituted per argument.'),
  reload: argv.describe('argv run to load the newly activated release.'),
  stop: argv.optional().describe('argv run to stop the app.'),
  status: argv.optional().describe('argv that exits 0 when the app is running.'),
  zeroDowntime: z.boolean().default(false).describe('Declare that `reload` does not drop requests.'),
  timeoutMs: positiveMs.default(30_000),
});

export type CommandRuntimeConfig = z.infer<typeof commandRuntimeSchema>;
