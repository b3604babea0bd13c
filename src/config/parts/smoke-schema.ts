import * as z from 'zod';

/**
 * A smoke suite: ordered HTTP steps with expectations, captures that feed later steps (a token from
 * login sent to /auth/me), and cleanup steps that run even after a failure. Strings may use
 * `${VAR}` (environment, resolved when the suite is loaded; secret-looking names are redacted) and
 * `{{name}}` (a variable of the suite or a capture, resolved when the step runs). Built-ins:
 * `{{version}}` (the release under test) and `{{run_id}}` (unique per run, for unique test data).
 */
const json = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const smokeRequestSchema = z.strictObject({
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
  url: z.string().min(1).describe('Absolute, or a path joined to the suite baseUrl.'),
  headers: z.record(z.string(), z.string()).default({}),
  json: z.unknown().optional().describe('A JSON body (sets content-type: application/json).'),
  body: z.string().optional().describe('A raw body.'),
});

export const smokeStepSchema = z.strictObject({
  name: z.string().min(1),
  request: smokeRequestSchema,
  expect: z
    .strictObject({
      status: z.union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)]).default(200),
      json: z.record(z.string(), json).optional().describe('Dotted path → expected value ("{{var}}" allowed).'),
      exists: z.array(z.string()).optional().describe('Dotted paths that must be present (any value but null).'),
    })
    .prefault({}),
  capture: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().min(1)).optional().describe('Variable name → dotted path in the JSON response.'),
  timeoutMs: z.number().int().min(1).optional(),
});

export const smokeSuiteSchema = z.strictObject({
  name: z.string().min(1),
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
  steps: z.array(smokeStepSchema).min(1),
  cleanup: z.array(smokeStepSchema).default([]),
});

export type SmokeSuite = z.infer<typeof smokeSuiteSchema>;
export type SmokeStep = z.infer<typeof smokeStepSchema>;
