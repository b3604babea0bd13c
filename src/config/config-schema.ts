import { httpFlagsSchema } from '../adapters/flags/http/http-flags-config.js';
import * as z from 'zod';
import { incidentSettingsSchema } from './parts/incident-settings.js';
import { postgresDatabaseSchema } from '../adapters/databases/postgres/postgres-config.js';
import { mysqlDatabaseSchema } from '../adapters/databases/mysql/mysql-config.js';
import { sqliteDatabaseSchema } from '../adapters/databases/sqlite/sqlite-config.js';
import { httpProbeSourceSchema } from '../adapters/metrics/http-probe/http-probe-config.js';
import { prometheusSourceSchema } from '../adapters/metrics/prometheus/prometheus-config.js';
import { notifySettingsSchema } from '../adapters/notifiers/notify-config.js';
import { albTrafficRouterSchema } from '../adapters/routers/alb/alb-config.js';
import { haproxyTrafficRouterSchema } from '../adapters/routers/haproxy/haproxy-config.js';
import { nginxTrafficRouterSchema } from '../adapters/routers/nginx/nginx-config.js';
import { routerFrontsAddresslessSlots, runtimeConfigOf, runtimeSupportsSlots, slotsConfigOf, slotsHaveAddresses, targetHasReleaseFiles } from '../adapters/registry.js';
import { runtimeSchema } from '../adapters/runtimes/runtime-config.js';
import { releasesTargetSchema } from '../adapters/targets/releases/releases-config.js';
import { helmTargetSchema } from '../adapters/targets/helm/helm-config.js';
import { composeTargetSchema } from '../adapters/targets/compose/compose-config.js';
import { redisStateSchema } from '../adapters/stores/redis/redis-config.js';
import { githubCiSchema } from '../adapters/ci/github/github-ci-config.js';
import { ecsTargetSchema } from '../adapters/targets/ecs/ecs-config.js';
import { railwayTargetSchema } from '../adapters/targets/railway/railway-config.js';
import { kubernetesTargetSchema } from '../adapters/targets/kubernetes/kubernetes-config.js';
import { vercelTargetSchema } from '../adapters/targets/vercel/vercel-config.js';
import { DEFAULT_DRILL_MAX_AGE_DAYS, DEFAULT_LEDGER } from './known-valid-config.js';
import { healthCheckSchema, smokeSettingsSchema } from './parts/check-settings.js';
import { name, positiveMs } from './parts/schema-parts.js';

// The whole config, composed from each adapter's own schema (adapters/<kind>/<name>/<name>-config.ts):
// one branch of a union per definition in adapters/registry.ts (registry.test.ts holds them equal).
// Only the small schema files are imported here, never an adapter's implementation.

/**
 * The members of Object.prototype that the name alphabet lets through (the others start with "_").
 * Every plain object answers to them, so an environment of that name is refused: rewind looks names
 * up as own properties only (util/own-property.ts), and so must anything else that reads the ledger.
 */
export const RESERVED_ENVIRONMENT_NAMES = ['constructor', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', 'toString', 'valueOf'] as const;
const environmentName = name.regex(
  new RegExp(`^(?!(?:${RESERVED_ENVIRONMENT_NAMES.join('|')})$)`),
  `reserved: ${RESERVED_ENVIRONMENT_NAMES.join(', ')} are members of every JavaScript object, not environment names`,
);

export const targetSchema = z.discriminatedUnion('type', [releasesTargetSchema, composeTargetSchema, ecsTargetSchema, kubernetesTargetSchema, helmTargetSchema, railwayTargetSchema, vercelTargetSchema]);

export const watchSettingsSchema = z.strictObject({
  windowMs: z.number().int().min(1000).default(180_000).describe('How long a new release is watched before it is marked good (2–5 minutes is usual).'),
  intervalMs: z.number().int().min(100).default(10_000).describe('Time between measurements.'),
  errorRateThreshold: z.number().min(0).max(1).default(0.05).describe('An error rate above this, with evidence, fails the release (default: above 5 %).'),
  latencyFactor: z.number().min(1).default(1.5).describe('p95 latency above this multiple of the preflight baseline fails (default: more than 50 % slower).'),
  latencyFloorMs: z
    .number()
    .min(0)
    .default(50)
    .describe('The baseline p95 is taken as at least this: on a fast service a few ms of scheduling noise is not "50 % slower" for anyone (0 turns it off).'),
  source: z.discriminatedUnion('type', [httpProbeSourceSchema, prometheusSourceSchema]).describe('Where the numbers come from.'),
  afterRollbackMs: z
    .number()
    .int()
    .min(1000)
    .optional()
    .describe('After every rollback, watch the restored release this long ("monitor for 30 minutes"); absent: no post-rollback watch (`rollback --watch` asks for one).'),
});

export { notifySettingsSchema };

export const trafficSettingsSchema = z.strictObject({
  strategy: z
    .enum(['blue-green', 'canary'])
    .describe('blue-green: boot the new release on the idle slot, probe it there, switch all traffic; canary: then move traffic in steps with analysis between them.'),
  router: z.discriminatedUnion('type', [haproxyTrafficRouterSchema, nginxTrafficRouterSchema, albTrafficRouterSchema]).describe('The proxy in front of the two slots.'),
  canary: z
    .strictObject({
      steps: z
        .array(z.number().int().min(1).max(99))
        .min(1)
        .default([10, 50])
        .refine((steps) => steps.every((w, i) => i === 0 || w > steps[i - 1]!), 'steps must rise: e.g. [10, 50]')
        .describe('Percentages of traffic the new release gets, in order, before 100 %.'),
      measurements: z.number().int().min(1).max(100).default(3).describe('Measurements (at watch.intervalMs) judged at each step before the next one.'),
    })
    .prefault({})
    .describe('canary: the steps and how long each is judged (through the watch source, canary against stable).'),
});

export const deploySettingsSchema = z.strictObject({
  autoRollback: z.boolean().default(true).describe('Roll back to the LKG by itself when a deploy fails after activation.'),
  baselineHealth: z.boolean().default(true).describe('Probe the running release, when it is known good, before changing anything.'),
  minFreeMb: z.number().int().min(0).default(100).describe('Free space required on the target volume beyond the artifact size.'),
});

export const lockSettingsSchema = z.strictObject({
  ttlMs: z.number().int().min(1000).default(60_000).describe('A lock whose heartbeat is older than this may be taken over.'),
});

export const databaseSchema = z.discriminatedUnion('engine', [postgresDatabaseSchema, mysqlDatabaseSchema, sqliteDatabaseSchema]);

export const stateStoreSchema = z.discriminatedUnion('type', [redisStateSchema]);

export const ciChecksSchema = z.discriminatedUnion('type', [githubCiSchema]);

export const environmentSchema = z
  .strictObject({
  production: z.boolean().optional().describe('Whether this is a production environment: `rewind drill` refuses it unless --force --reason. Default: true for the environment named `production`, false for any other.'),
  target: targetSchema,
  health: healthCheckSchema.optional(),
  smoke: smokeSettingsSchema.optional().describe('A smoke suite run after every activation and every rollback, and by `rewind smoke`.'),
  watch: watchSettingsSchema.optional().describe('Watch a new release for a window before marking it good; roll back by itself when a metric fails.'),
  flags: z
    .strictObject({
      file: z.string().min(1).optional().describe('A JSON or YAML file (by extension) mapping flag names to true/false, which the app or a flag daemon reads.'),
      http: httpFlagsSchema.optional().describe("A flag service's admin API (GET/PUT/DELETE <url>/flags/<key>, bearer token from tokenEnv)."),
    })
    .refine((f) => (f.file === undefined) !== (f.http === undefined), { message: 'flags: name exactly one source, file or http' })
    .optional()
    .describe('Where the feature flags a release declares (`release register --flag`) live: a rollback turns them off, a roll-forward restores them.'),
  notify: notifySettingsSchema.optional().describe('Who hears about rollbacks, paused watches and failed deploys (webhooks, Slack, PagerDuty), through the ledger\'s outbox.'),
  deploy: deploySettingsSchema.prefault({}),
  lock: lockSettingsSchema.prefault({}),
  database: databaseSchema.optional().describe('The database this environment\'s releases migrate: backed up, verified, restored.'),
  traffic: trafficSettingsSchema.optional().describe('Blue-green or canary deploys through a router in front of the two warm slots of `target.slots`.'),
  state: stateStoreSchema.optional().describe('A state store next to the database (Redis): snapshotted before an upgrade, restored on a rollback that needs it, sessions cleaned up.'),
  ci: ciChecksSchema.optional().describe("The CI gate (docs/ci.md): read whether a release passed CI from its commit's checks on GitHub, at register and again at every deploy and rollback, instead of trusting `release register --ci`."),
})
  .refine((e) => !e.traffic || slotsConfigOf(e.target) !== undefined, { message: 'traffic needs target.slots: the two warm slots the router moves traffic between', path: ['traffic'] })
  .refine((e) => !slotsHaveAddresses(e.target) || runtimeSupportsSlots(runtimeConfigOf(e.target)!), { message: 'slots run under runtime type pm2 (one PM2 app per slot)', path: ['target', 'slots'] })
  // ECS slots are services behind their own target groups: no host and port to forward to or probe.
  .refine((e) => !e.traffic || !slotsConfigOf(e.target) || slotsHaveAddresses(e.target) || routerFrontsAddresslessSlots(e.traffic.router), { message: 'ecs slots (services behind target groups) need traffic.router.type alb: the router forwards to the slots\' target groups', path: ['traffic', 'router', 'type'] })
  .refine((e) => e.traffic?.strategy !== 'canary' || !slotsConfigOf(e.target) || slotsHaveAddresses(e.target), { message: 'a canary measures each slot on its own address; ecs slots (services behind target groups) have none: use strategy blue-green', path: ['traffic', 'strategy'] })
  .refine((e) => !slotsConfigOf(e.target) || e.traffic !== undefined, { message: 'target.slots needs traffic: a router to move traffic between the slots', path: ['target', 'slots'] })
  .refine((e) => !e.database?.migrations || targetHasReleaseFiles(e.target), {
    message: "migrations are read from a release's files, and this target has none on this machine (compose, ecs, kubernetes and helm releases are images or charts): leave database.migrations out and run them the way the platform runs one-off jobs (a one-off service of the stack, a task, a Job); backups and restores still apply",
    path: ['database', 'migrations'],
  })
  .refine((e) => e.traffic?.strategy !== 'canary' || e.watch !== undefined, { message: 'a canary needs watch: its source measures the canary against stable between steps', path: ['traffic', 'strategy'] });

export const configSchema = z.strictObject({
  version: z.literal(1).default(1).describe('Config format version.'),
  ledger: z.string().min(1).default(DEFAULT_LEDGER).describe('SQLite file path, or a postgres:// URL.'),
  log: z.strictObject({ file: z.string().min(1).default('./rewind-events.log') }).prefault({}),
  artifacts: z
    .strictObject({
      store: z.string().min(1).optional().describe('Where rewind keeps its copy of every registered artifact, by digest. Default: rewind-artifacts/ next to a SQLite ledger, or next to the config file with a postgres:// ledger.'),
    })
    .prefault({})
    .describe('The artifact store: the copies releases are deployed and rolled back from.'),
  drills: z
    .strictObject({
      maxAgeDays: z.number().int().min(1).default(DEFAULT_DRILL_MAX_AGE_DAYS).describe('`rewind status` warns when an environment\'s last rollback drill is older than this many days, or it never had one (90 days: practise quarterly).'),
    })
    .prefault({})
    .describe('Rollback drills (docs/drills.md).'),
  incidents: incidentSettingsSchema.optional().describe('Incidents and the rollback checklists (docs/incidents.md).'),
  environments: z.record(environmentName, environmentSchema).refine((envs) => Object.keys(envs).length > 0, 'at least one environment is required'),
});

export { MIGRATION_TOOL_NAMES, migrationsSchema, type MigrationsConfig } from './parts/database-settings.js';
export { healthCheckSchema, smokeSettingsSchema };
export { postgresDatabaseSchema, mysqlDatabaseSchema, sqliteDatabaseSchema, releasesTargetSchema, composeTargetSchema, runtimeSchema };
export type { ComposeTargetConfig } from '../adapters/targets/compose/compose-config.js';
export type { ReleasesTargetConfig } from '../adapters/targets/releases/releases-config.js';
export type { Pm2RuntimeConfig } from '../adapters/runtimes/pm2/pm2-config.js';
export type { CommandRuntimeConfig } from '../adapters/runtimes/command/command-config.js';
export type { RuntimeConfig } from '../adapters/runtimes/runtime-config.js';
export type { SlotsConfig } from '../adapters/targets/slotted-releases/slots-config.js';
export type { PostgresDatabaseConfig } from '../adapters/databases/postgres/postgres-config.js';
export type { MysqlDatabaseConfig } from '../adapters/databases/mysql/mysql-config.js';
export type { SqliteDatabaseConfig } from '../adapters/databases/sqlite/sqlite-config.js';

export type RewindConfig = z.infer<typeof configSchema>;
export type EnvironmentConfig = z.infer<typeof environmentSchema>;
export type TargetConfig = z.infer<typeof targetSchema>;
export type { HealthCheckConfig, SmokeSettings } from './parts/check-settings.js';
export type WatchSettings = z.infer<typeof watchSettingsSchema>;
export type TrafficSettings = z.infer<typeof trafficSettingsSchema>;
export type DatabaseConfig = z.infer<typeof databaseSchema>;
export type StateStoreConfig = z.infer<typeof stateStoreSchema>;
export type CiChecksConfig = z.infer<typeof ciChecksSchema>;
export type { RedisStateConfig } from '../adapters/stores/redis/redis-config.js';
