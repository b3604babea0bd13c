import * as z from 'zod';
import { positiveMs } from '../../../config/parts/schema-parts.js';

export const GITHUB_CI = 'github';

export const githubCiSchema = z.strictObject({
  type: z.literal(GITHUB_CI).describe("GitHub: the commit's check runs (GitHub Actions and other apps) and its commit statuses, through the REST API."),
  repository: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/, 'owner/name, as in github.com/owner/name')
    .describe('The repository the releases are built from: owner/name.'),
  tokenEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
    .default('GITHUB_TOKEN')
    .describe('The environment variable holding the token (read when the checks are read; never stored or printed). Least privilege: a fine-grained token on this one repository with Checks: read and Commit statuses: read.'),
  apiUrl: z
    .string()
    .regex(/^https?:\/\/[^\s]+$/, 'an http(s) URL')
    .default('https://api.github.com')
    .describe('The REST API root: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server.'),
  requiredChecks: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe('Only these check run names (or status contexts) count, and each must have reported and passed. Default: every check on the commit counts, and at least one must have reported.'),
  statuses: z.boolean().default(true).describe('Also read the commit statuses (the older status API some CI systems still post to).'),
  timeoutMs: positiveMs.min(100).default(10_000).describe('Upper bound for one API request.'),
  retries: z.number().int().min(0).max(5).default(2).describe('Retries of a request that failed with a 5xx, a rate limit or a timeout (with a short backoff); bounded.'),
});

export type GithubCiConfig = z.infer<typeof githubCiSchema>;
