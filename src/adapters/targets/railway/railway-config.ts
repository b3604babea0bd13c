import * as z from 'zod';

export const RAILWAY_TARGET_TYPE = 'railway';

/** Railway's public GraphQL API (docs.railway.com/integrations/api; backboard.railway.app is its older host name). */
export const RAILWAY_API_ENDPOINT = 'https://backboard.railway.com/graphql/v2';

// Railway ids are UUIDs; anything else is a typo that would only show up as "Not Authorized".
const railwayId = (what: string) => z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, `a Railway ${what} id (a UUID, from the dashboard's settings or the URL)`);

export const railwayTargetSchema = z.strictObject({
  type: z.literal(RAILWAY_TARGET_TYPE),
  projectId: railwayId('project').describe('The Railway project the service belongs to.'),
  environmentId: railwayId('environment').describe('The Railway environment (production, staging…) the service runs in.'),
  serviceId: railwayId('service').describe('The Railway service a release is a deployment of.'),
  endpoint: z.url().optional().describe(`Overrides Railway's GraphQL endpoint (a local fake in tests). Default: ${RAILWAY_API_ENDPOINT}.`),
  tokenEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
    .default('RAILWAY_TOKEN')
    .describe('The environment variable holding the Railway token. The token itself is never in the config, the ledger, a plan or an event.'),
  tokenType: z
    .enum(['project', 'account'])
    .default('project')
    .describe('`project`: a project token, sent as `Project-Access-Token` (scoped to one environment: least privilege). `account`: an account or workspace token, sent as `Authorization: Bearer`.'),
  stateDir: z.string().min(1).optional().describe('Where rewind keeps the record of each prepared release (its Railway deployment ids). Default: rewind-railway/<env> next to rewind.yaml.'),
  keep: z.number().int().min(1).default(5).describe('Prepared releases whose records are kept (Railway deployments are never removed by rewind).'),
  pollMs: z.number().int().min(10).default(5000).describe('How often the deployment is asked for its status while waiting (mind the API rate limit: 100 requests an hour on the free plan).'),
  deployTimeoutMs: z.number().int().min(1000).default(900_000).describe('How long activate waits for the deployment to reach SUCCESS (a build included).'),
  settleMs: z.number().int().min(0).default(30_000).describe('After SUCCESS, how long the deployment must stay up (not CRASHED) before activate succeeds.'),
  requestTimeoutMs: z.number().int().min(100).default(15_000).describe('Timeout of each API request.'),
  attempts: z.number().int().min(1).max(10).default(3).describe('Attempts per API request on a 5xx, a 429, a timeout or no answer (bounded, each retry recorded in the step journal).'),
  redeployWhenRollbackUnavailable: z
    .boolean()
    .default(false)
    .describe('A deployment whose `canRollback` is false (its image is past the plan\'s retention): false refuses (REWIND_E_RAILWAY_ROLLBACK_UNAVAILABLE); true redeploys it with deploymentRedeploy, which rebuilds from its source with today\'s variables.'),
});

export type RailwayTargetConfig = z.output<typeof railwayTargetSchema>;
