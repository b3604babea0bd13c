import * as z from 'zod';

export const COMPOSE_TARGET_TYPE = 'compose';

/** Compose's own alphabet for project and service names (lower-case letters, digits, dashes, underscores). */
const composeName = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, "-" and "_", starting with a letter or digit');
/** An environment variable name, as the compose file interpolates it (`${API_IMAGE}`). */
const variableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');

export const composeTargetSchema = z.strictObject({
  type: z.literal(COMPOSE_TARGET_TYPE),
  project: composeName.describe('The Compose project name (`-p`): its containers carry the label com.docker.compose.project=<project>.'),
  files: z.array(z.string().min(1)).min(1).describe('The compose files (`-f`), relative to rewind.yaml, in order.'),
  stateDir: z
    .string()
    .min(1)
    .optional()
    .describe('Where rewind keeps its pins, its override file and the record of each prepared release. Default: rewind-compose/<env> next to rewind.yaml.'),
  imageVariables: z
    .record(composeName, variableName)
    .optional()
    .describe('service -> VAR for compose files that already read the image from a variable (`image: ${API_IMAGE}`): rewind sets VAR to the pinned reference on every compose call instead of writing `image:` into its override file.'),
  command: z
    .enum(['auto', 'docker-compose', 'docker-compose-plugin'])
    .default('auto')
    .describe('auto: `docker compose` (the v2 plugin) when it answers, else `docker-compose` (v1). Or name one.'),
  docker: z.string().min(1).default('docker').describe('The docker CLI (a name on PATH or a path).'),
  dockerHost: z.string().min(1).optional().describe('DOCKER_HOST for every docker and compose call (default: the variable as rewind finds it, else the local socket).'),
  requireDigests: z
    .boolean()
    .default(false)
    .describe('Refuse `release register --image service=repo:tag` without a digest; by default a tag is resolved to its digest once, when the release is registered.'),
  keep: z.number().int().min(1).default(5).describe('Releases whose images are kept; the images of the current release, the LKG and any in use are never removed.'),
  healthTimeoutMs: z.number().int().min(1000).default(120_000).describe("How long activate waits for the changed services' containers to report healthy (their own HEALTHCHECK), or to run when they define none."),
  execHealthcheck: z
    .boolean()
    .default(true)
    .describe("While Docker still reports a changed service's container `starting`, run its own HEALTHCHECK test right away with `docker exec` and take a pass as healthy, instead of waiting up to the healthcheck's interval (30 s by default) for Docker to run it. A failure proves nothing: only Docker's `unhealthy` (after its retries) fails the activation. false: wait for Docker's status."),
  engineApi: z
    .boolean()
    .default(true)
    .describe("Ask Docker's Engine API on its unix socket (dockerHost or DOCKER_HOST `unix://…`, else /var/run/docker.sock) for container state, image presence and the healthcheck runs of execHealthcheck: one kept-alive connection instead of a docker process per question. A Docker host that is not a local socket (tcp://, ssh://, a docker context), or a socket rewind cannot open, uses the docker CLI. Changes (pull, compose up and stop, image rm) are always docker and compose argvs. false: the docker CLI for everything."),
  commandTimeoutMs: z.number().int().min(1000).default(600_000).describe('Timeout of each docker and compose call (a pull of a large image is one).'),
});

export type ComposeTargetConfig = z.infer<typeof composeTargetSchema>;
