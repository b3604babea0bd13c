import * as z from 'zod';
import { commandRuntimeSchema } from './command/command-config.js';
import { pm2RuntimeSchema } from './pm2/pm2-config.js';

/**
 * `target.runtime`: one branch per runtime definition's schema (registry.ts; registry.test.ts
 * holds the two lists equal). Composed here rather than in config-schema.ts because the targets
 * that run an app on this machine embed it in their own schema (releases-config.ts).
 */
export const runtimeSchema = z.discriminatedUnion('type', [pm2RuntimeSchema, commandRuntimeSchema]);

export type RuntimeConfig = z.infer<typeof runtimeSchema>;
