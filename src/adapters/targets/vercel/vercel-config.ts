import * as z from 'zod';

export const VERCEL_TARGET_TYPE = 'vercel';

export const vercelTargetSchema = z.strictObject({
  type: z.literal(VERCEL_TARGET_TYPE),
  projectId: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'a Vercel project id (prj_...) or name').describe('The Vercel project (its id prj_..., or its name) whose production a release is promoted to.'),
  teamId: z
    .string()
    .regex(/^team_[A-Za-z0-9]+$/, 'a Vercel team id (team_...)')
    .optional()
    .describe('The team that owns the project (team_...), sent as ?teamId= on every call. Leave out for a project on a personal account.'),
  tokenEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
    .default('VERCEL_TOKEN')
    .describe('The environment variable holding the Vercel access token. The token itself is never in the config, and never printed, journaled or logged.'),
  apiUrl: z.url().default('https://api.vercel.com').describe('The Vercel REST API base URL (a local fake in tests).'),
  metaKey: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'a deployment meta key')
    .default('rewindVersion')
    .describe('The deployment `meta` key whose value is the release version (vercel deploy --meta rewindVersion=1.4.0): how `release register` finds a deployment when neither --deployment nor --commit is given.'),
  stateDir: z
    .string()
    .min(1)
    .optional()
    .describe('Where rewind keeps the record of each prepared release (its deployment id). Default: rewind-vercel/<env> next to rewind.yaml.'),
  keep: z.number().int().min(1).default(5).describe('Prepared releases whose records are kept (rewind never deletes a Vercel deployment).'),
  promoteTimeoutMs: z.number().int().min(1000).default(180_000).describe('How long activate waits for production to serve the promoted deployment (vercel promote waits 3 minutes).'),
  pollMs: z.number().int().min(10).default(1000).describe('How often the project is read while waiting for the promotion.'),
  requestTimeoutMs: z.number().int().min(100).default(15_000).describe('How long one API call may take before it counts as a failed attempt.'),
  attempts: z.number().int().min(1).max(10).default(4).describe('Attempts per API call on a 5xx, 429 or no answer (bounded; each retry is reported and kept in the step\'s journal detail).'),
});

export type VercelTargetConfig = z.output<typeof vercelTargetSchema>;
