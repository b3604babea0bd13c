import * as z from 'zod';
import { positiveMs } from './schema-parts.js';

// The settings of the two built-in checks, health and smoke: below the adapters that run them
// (adapters/checks) and the schema that composes them (config-schema.ts).

export const healthCheckSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).describe('URL probed after activation, after rollback, and as preflight baseline.'),
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  headers: z.record(z.string(), z.string()).default({}).describe('Sent with every probe; values are treated as secrets.'),
  expectStatus: z.union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)]).default(200),
  json: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .optional()
    .describe('Dotted path → expected value in the JSON body; "{{version}}" is the release being checked.'),
  // 0 would abort every probe at once (AbortSignal.timeout(0)): an unhealthy verdict for a healthy app.
  timeoutMs: z.number().int().min(1).default(2000).describe('Per-attempt timeout.'),
  retries: z.number().int().min(0).max(100).default(5).describe('Attempts after the first.'),
  backoffMs: positiveMs.default(200).describe('Wait before the first retry; doubles each retry.'),
  maxBackoffMs: positiveMs.default(2000),
  readinessDelayMs: positiveMs.default(0).describe('Wait after activation before the first probe.'),
});

export const smokeSettingsSchema = z.strictObject({
  suite: z.string().min(1).describe('The smoke suite file (YAML, see examples/smoke/minimal.yaml); relative to the config file.'),
  baseUrl: z.url({ protocol: /^https?$/ }).optional().describe("Joined to the suite's relative step URLs (default: the suite's own baseUrl)."),
  timeoutMs: z.number().int().min(1).default(5000).describe('Per-request timeout of a step that sets none.'),
});

export type HealthCheckConfig = z.infer<typeof healthCheckSchema>;
export type SmokeSettings = z.infer<typeof smokeSettingsSchema>;
