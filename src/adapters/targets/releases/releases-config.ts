import * as z from 'zod';
import { runtimeSchema } from '../../runtimes/runtime-config.js';
import { slotsSchema } from '../slotted-releases/slots-config.js';

export const RELEASES_TARGET_TYPE = 'releases';

export const releasesTargetSchema = z.strictObject({
  type: z.literal(RELEASES_TARGET_TYPE),
  path: z.string().min(1).describe('Deploy root: holds releases/<version>/ and the `current` symlink.'),
  keep: z.number().int().min(1).default(5).describe('Release directories kept; the current, the LKG, any in use and any a slot runs are never pruned.'),
  runtime: runtimeSchema,
  slots: slotsSchema
    .optional()
    .describe('Run releases in two warm slots (PM2 apps <name>-blue and <name>-green) behind a traffic router; needed by `traffic:` (blue-green and canary).'),
});

export type ReleasesTargetConfig = z.infer<typeof releasesTargetSchema>;
