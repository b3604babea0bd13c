import * as z from 'zod';

/** `flags.http`: a flag service's admin API (the shape is in docs/incidents.md, "Feature flags"). */
export const httpFlagsSchema = z.strictObject({
  url: z
    .string()
    .regex(/^https?:\/\//, 'an http:// or https:// URL')
    .describe('The admin API base: rewind sends GET, PUT and DELETE to <url>/flags/<key>.'),
  tokenEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
    .optional()
    .describe('The environment variable holding the bearer token (the value never goes in rewind.yaml, a log or the ledger); absent: no Authorization header.'),
  timeoutMs: z.number().int().min(100).default(3000).describe('Per-request timeout.'),
  attempts: z.number().int().min(1).max(10).default(3).describe('Tries per request on a network error, a timeout, 429 or 5xx (every request is idempotent), 200 ms apart, doubling.'),
});

export type HttpFlagsConfig = z.infer<typeof httpFlagsSchema>;
