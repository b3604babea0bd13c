import * as z from 'zod';
import { port } from '../../../config/parts/schema-parts.js';

const slotSchema = z.strictObject({ port: port.describe("The port this slot's process listens on (passed to the app in `portEnv`).") });

// Two warm slots (blue-green, canary): each runs its own process on its own port from its own link
// (<path>/slots/<slot> -> releases/<version>), so the previous release keeps serving, or stays ready to.
// `slots:` is a key of the releases target's config (releases-config.ts); with it, the registry builds
// the slotted-releases target instead (slotted-releases-definition.ts), so existing rewind.yaml files keep their shape.
export const slotsSchema = z
  .strictObject({
    blue: slotSchema,
    green: slotSchema,
    host: z.string().min(1).default('127.0.0.1').describe('Where both slots listen, as the router reaches them.'),
    portEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').default('PORT').describe("The environment variable that tells the app its slot's port."),
  })
  .refine((s) => s.blue.port !== s.green.port, { message: 'blue and green need different ports', path: ['green', 'port'] });

export type SlotsConfig = z.infer<typeof slotsSchema>;
