import * as z from 'zod';
import { name, positiveMs } from '../../../config/parts/schema-parts.js';

import { PM2_RUNTIME_TYPE } from './pm2-constants.js';

export { PM2_RUNTIME_TYPE };

export const pm2RuntimeSchema = z.strictObject({
  type: z.literal(PM2_RUNTIME_TYPE),
  name: name.describe('PM2 process name.'),
  script: z.string().min(1).default('server.js').describe('Entry file, relative to the release directory.'),
  execMode: z.enum(['cluster', 'fork']).default('cluster').describe('cluster allows zero-downtime reload; fork restarts.'),
  instances: z.number().int().min(1).default(1),
  env: z.record(z.string(), z.string()).default({}).describe('Environment passed to the app; plans show the keys only, secret-looking keys and URL passwords are redacted.'),
  pm2Home: z.string().optional().describe('PM2_HOME for this app (default: PM2 default, ~/.pm2). With hosts: an absolute path on every host (default: the login user\'s ~/.pm2 there).'),
  bin: z
    .string()
    .min(1)
    .optional()
    .describe('With hosts only: the `pm2` command on every host (default `pm2`, found on the login PATH), which rewind runs over ssh. On this machine rewind drives PM2 through its API instead.'),
  listenTimeoutMs: positiveMs.default(8000).describe('How long PM2 waits for a new worker to listen during reload.'),
  killTimeoutMs: positiveMs.default(5000).describe('Grace period before PM2 kills an old worker.'),
  busyTimeoutMs: positiveMs
    .default(60_000)
    .describe('How long to wait for the PM2 daemon while another rewind process (any environment sharing this PM2_HOME) or a `pm2 reload` by hand is using it.'),
});

export type Pm2RuntimeConfig = z.infer<typeof pm2RuntimeSchema>;
