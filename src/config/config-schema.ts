import * as z from 'zod';
import { DEFAULT_LEDGER } from './known-valid-config.js';

// Names end up in file paths, PM2 process names and ledger keys, so they are kept to a safe alphabet.
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, ".", "_" and "-" only, at most 63 characters');

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
const argv = z.array(z.string()).min(1, 'an argv array needs at least the program');
const positiveMs = z.number().int().nonnegative();

export const pm2RuntimeSchema = z.strictObject({
  type: z.literal('pm2'),
  name: name.describe('PM2 process name.'),
  script: z.string().min(1).default('server.js').describe('Entry file, relative to the release directory.'),
  execMode: z.enum(['cluster', 'fork']).default('cluster').describe('cluster allows zero-downtime reload; fork restarts.'),
  instances: z.number().int().min(1).default(1),
  env: z.record(z.string(), z.string()).default({}).describe('Environment passed to the app; plans show the keys only, secret-looking keys and URL passwords are redacted.'),
  pm2Home: z.string().optional().describe('PM2_HOME for this app (default: PM2 default, ~/.pm2).'),
  listenTimeoutMs: positiveMs.default(8000).describe('How long PM2 waits for a new worker to listen during reload.'),
  killTimeoutMs: positiveMs.default(5000).describe('Grace period before PM2 kills an old worker.'),
  busyTimeoutMs: positiveMs
    .default(60_000)
    .describe('How long to wait for the PM2 daemon while another rewind process (any environment sharing this PM2_HOME) or a `pm2 reload` by hand is using it.'),
});

export const commandRuntimeSchema = z.strictObject({
  type: z.literal('command'),
  start: argv.describe('argv run to start the app. {release_dir}, {current_dir} and {version} are substituted per argument.'),
  reload: argv.describe('argv run to load the newly activated release.'),
  stop: argv.optional().describe('argv run to stop the app.'),
  status: argv.optional().describe('argv that exits 0 when the app is running.'),
  zeroDowntime: z.boolean().default(false).describe('Declare that `reload` does not drop requests.'),
  timeoutMs: positiveMs.default(30_000),
});

export const runtimeSchema = z.discriminatedUnion('type', [pm2RuntimeSchema, commandRuntimeSchema]);

const port = z.number().int().min(1).max(65535);
const slotSchema = z.strictObject({ port: port.describe("The port this slot's process listens on (passed to the app in `portEnv`).") });

// Two warm slots (blue-green, canary): each runs its own process on its own port from its own link
// (<path>/slots/<slot> -> releases/<version>), so the previous release keeps serving, or stays ready to.
export const slotsSchema = z
  .strictObject({
    blue: slotSchema,
    green: slotSchema,
    host: z.string().min(1).default('127.0.0.1').describe('Where both slots listen, as the router reaches them.'),
    portEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').default('PORT').describe("The environment variable that tells the app its slot's port."),
  })
  .refine((s) => s.blue.port !== s.green.port, { message: 'blue and green need different ports', path: ['green', 'port'] });

export const releasesTargetSchema = z.strictObject({
  type: z.literal('releases'),
  path: z.string().min(1).describe('Deploy root: holds releases/<version>/ and the `current` symlink.'),
  keep: z.number().int().min(1).default(5).describe('Release directories kept; the current, the LKG, any in use and any a slot runs are never pruned.'),
  runtime: runtimeSchema,
  slots: slotsSchema
    .optional()
    .describe('Run releases in two warm slots (PM2 apps <name>-blue and <name>-green) behind a traffic router; needed by `traffic:` (blue-green and canary).'),
});

export const targetSchema = z.discriminatedUnion('type', [releasesTargetSchema]);

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

// The watch window (seed 000 "Monitor logs for 2–5 minutes"; seed 002's triggers). Metric names are
// the analysis' own (error_rate, latency_p95_ms); `queries` maps them to what the source answers.
const httpProbeSourceSchema = z.strictObject({
  type: z.literal('http-probe').describe('Synthetic requests from rewind itself: error rate and latency percentiles.'),
  url: z.url({ protocol: /^https?$/ }).describe('The URL the probe requests (an ordinary page of the app, not /health).'),
  headers: z.record(z.string(), z.string()).default({}).describe('Sent with every probe request; values are treated as secrets.'),
  requests: z.number().int().min(1).max(1000).default(100).describe('Requests per measurement: enough that a 20 % error rate is evidence within one interval (see docs/benchmarks.md).'),
  concurrency: z.number().int().min(1).max(16).default(2),
  timeoutMs: z.number().int().min(1).default(2000),
  queries: z.record(z.string(), z.string()).default({ error_rate: 'error_rate', latency_p95_ms: 'latency_p95' }),
});
const prometheusSourceSchema = z.strictObject({
  type: z.literal('prometheus').describe('PromQL against a Prometheus server; {{window}} in a query is the interval as a PromQL duration.'),
  url: z.url({ protocol: /^https?$/ }).describe('Base URL of the Prometheus HTTP API; credentials in it are sent as basic auth and redacted.'),
  headers: z.record(z.string(), z.string()).default({}),
  timeoutMs: z.number().int().min(1).default(10_000),
  queries: z.record(z.string(), z.string()).describe('Metric name → PromQL: error_rate (a 0–1 ratio) and latency_p95_ms (milliseconds).'),
});
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
});

export const notifySettingsSchema = z.strictObject({
  webhooks: z
    .array(
      z.strictObject({
        url: z.url({ protocol: /^https?$/ }).describe('Receives a POST with {"text", "event"} (JSON) per chosen event; the text suits Slack-style incoming webhooks.'),
        events: z
          .array(z.string().min(1))
          .default(['rollback_start', 'rollback_complete', 'watch_paused', 'deploy_complete', 'restore_complete', 'down_complete', 'lock_forced'])
          .describe('Event names to send (deploy_complete only when a deploy failed).'),
        headers: z.record(z.string(), z.string()).default({}).describe('Sent with every POST; values are treated as secrets.'),
        timeoutMs: z.number().int().min(1).default(3000),
      }),
    )
    .default([]),
});

// The router in front of the two slots. The router's own names for the slots: haproxy server names
// inside one backend, or the upstream in an nginx file rewind owns.
const haproxyTrafficRouterSchema = z.strictObject({
  type: z.literal('haproxy').describe('haproxy runtime API (`set weight`): switches without a reload, so no connection is dropped.'),
  socket: z.string().min(1).describe('The admin stats socket (`stats socket <path> level admin` in haproxy.cfg).'),
  backend: z.string().min(1).describe('The haproxy backend that holds both slot servers (balance roundrobin or another dynamic one).'),
  servers: z
    .strictObject({ blue: z.string().min(1).default('blue'), green: z.string().min(1).default('green') })
    .prefault({})
    .describe('The haproxy server names of the blue and green slots in that backend.'),
  timeoutMs: z.number().int().min(1).default(5000).describe('Limit for each runtime-API request.'),
});
const nginxTrafficRouterSchema = z.strictObject({
  type: z.literal('nginx').describe('Weighted upstream file + `nginx -t` + `nginx -s reload` (a reload closes idle keep-alive connections; see docs/benchmarks.md).'),
  upstreamFile: z.string().min(1).describe('The file rewind owns and replaces on every switch; include it inside `http {}`.'),
  upstream: z.string().min(1).default('rewind_app').describe('The upstream name, as in `proxy_pass http://<name>;`.'),
  binary: z.string().min(1).default('nginx').describe('The nginx program.'),
  configFile: z.string().min(1).optional().describe("nginx's main config (`-c`); default nginx's compiled-in one."),
  prefix: z.string().min(1).optional().describe('The prefix (`-p`) of a non-system nginx.'),
  errorLog: z.string().min(1).optional().describe('The error log nginx uses before it has read its config (`-e`).'),
  pidFile: z.string().min(1).optional().describe("The master's pid file, read to confirm a reload took effect (default /run/nginx.pid)."),
  timeoutMs: z.number().int().min(1).default(10_000).describe('Limit for each nginx command and for new workers to take over.'),
});
export const trafficSettingsSchema = z.strictObject({
  strategy: z
    .enum(['blue-green', 'canary'])
    .describe('blue-green: boot the new release on the idle slot, probe it there, switch all traffic; canary: then move traffic in steps with analysis between them.'),
  router: z.discriminatedUnion('type', [haproxyTrafficRouterSchema, nginxTrafficRouterSchema]).describe('The proxy in front of the two slots.'),
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

// How a release's migrations are found and applied. The tool names the folder layout and the
// history table rewind reads; rewind never guesses which migrations ran.
export const MIGRATION_TOOL_NAMES = ['prisma', 'knex', 'node-pg-migrate', 'golang-migrate', 'flyway', 'drizzle', 'typeorm'] as const;
export const migrationsSchema = z.strictObject({
  tool: z.enum(MIGRATION_TOOL_NAMES).describe('The migration tool: its folder layout and history table.'),
  dir: z.string().min(1).describe('Migrations folder, relative to the release directory (e.g. prisma/migrations).'),
  apply: argv.describe('argv run in the new release directory to apply pending migrations (e.g. ["npx", "prisma", "migrate", "deploy"]); {release_dir} and {version} are substituted per argument.'),
  down: z
    .array(argv)
    .min(1)
    .optional()
    .describe('Commands (argv arrays, run in order in the release directory) that revert exactly one migration, the newest applied, for `rewind db down` and `rollback --db down`; {migration}, {down_file}, {release_dir} and {version} are substituted.'),
  env: z.record(z.string(), z.string()).default({}).describe('Environment for the apply and down commands (e.g. DATABASE_URL: ${DATABASE_URL}); plans name the values by key; secret-looking keys and URL passwords are redacted.'),
  timeoutMs: z.number().int().min(1000).default(600_000).describe('Upper bound for the apply command.'),
  allowBreaking: z
    .boolean()
    .default(false)
    .describe('Deploy a pending migration the lint calls breaking even without a down migration (the deploy preflight refuses it otherwise; --allow-breaking does the same for one deploy).'),
});

// The database a release depends on: backed up before an upgrade, restored when a migration fails.
const backupSettings = {
  migrations: migrationsSchema.optional().describe('Where the release keeps its migrations and how to apply them; without it, deploys back up but run no migrations.'),
  driftCheck: z.boolean().default(true).describe('Deploy preflight: stop when the live schema differs from the one recorded for the running release (PostgreSQL).'),
  backupDir: z.string().min(1).optional().describe('Where backups are written (default ./backups/<env>); relative to the config file.'),
  backupLog: z.string().min(1).default('./ops/backups.log').describe('Operator log: one JSON line per backup taken or pruned; relative to the config file.'),
  retainDays: z.number().min(0).default(7).describe('Backups younger than this many days are never pruned.'),
  keep: z.number().int().min(1).default(5).describe('The newest N backups are never pruned, however old.'),
  criticalTables: z.array(z.string().min(1)).default([]).describe('Tables whose exact row counts are recorded with each backup and compared after a restore ("schema.table" allowed).'),
  timeoutMs: z.number().int().min(1000).default(3_600_000).describe('Upper bound for one backup, verify or restore command.'),
};

export const postgresDatabaseSchema = z.strictObject({
  engine: z.literal('postgres').describe('PostgreSQL: pg_dump / pg_restore / psql.'),
  url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').describe('postgres://user:password@host:port/db; the password is passed to tools as PGPASSWORD and redacted everywhere.'),
  format: z.enum(['custom', 'directory']).default('custom').describe('pg_dump archive format: custom (one file, restored in one transaction) or directory (parallel with `jobs`).'),
  compression: z
    .enum(['auto', 'zstd', 'gzip', 'none'])
    .default('auto')
    .describe('custom format: zstd (pg_dump -Z0 piped through `zstd`, fastest), gzip (pg_dump -Z), none; auto is zstd when the `zstd` tool is installed, else gzip. directory format: gzip or none.'),
  compressionLevel: z.number().int().min(0).max(19).optional().describe('Level for the chosen compression (default: zstd 1, gzip 1).'),
  jobs: z.number().int().min(1).max(64).default(1).describe('Parallel pg_dump/pg_restore jobs; more than 1 needs format: directory.'),
  binDir: z.string().min(1).optional().describe('Directory holding pg_dump, pg_restore and psql (default: found on PATH).'),
  pitr: z
    .strictObject({
      archiveDir: z.string().min(1).describe('The local directory archive_command copies WAL segments into; relative to the config file.'),
      baseBackupDir: z.string().min(1).optional().describe('Where `rewind db pitr base-backup` writes (default <backupDir>/base); relative to the config file.'),
      restoreDir: z.string().min(1).optional().describe('Where `rewind db restore --to-time` creates the recovered data directory (default <backupDir>/pitr); relative to the config file.'),
      restorePort: z.number().int().min(1).max(65535).default(5433).describe('Port the recovered server listens on (loopback only).'),
      osUser: z.string().min(1).optional().describe('Run the recovered server as this OS user; needed when rewind runs as root, which PostgreSQL refuses.'),
    })
    .optional()
    .describe('Point-in-time recovery from continuous WAL archiving.'),
  ...backupSettings,
});

export const mysqlDatabaseSchema = z.strictObject({
  engine: z.literal('mysql').describe('MySQL or MariaDB: mariadb-dump / mysqldump and the mariadb / mysql client.'),
  url: z.string().regex(/^(mysql|mariadb):\/\//, 'a mysql:// URL').describe('mysql://user:password@host:port/db; the password is passed to tools as MYSQL_PWD and redacted everywhere.'),
  compression: z.enum(['gzip', 'none']).default('gzip').describe('The dump is streamed through gzip (in process) or stored as plain SQL.'),
  compressionLevel: z.number().int().min(1).max(9).default(1).describe('gzip level; 1 is fastest.'),
  binDir: z.string().min(1).optional().describe('Directory holding the dump and client tools (default: found on PATH).'),
  ...backupSettings,
});

export const sqliteDatabaseSchema = z.strictObject({
  engine: z.literal('sqlite').describe('SQLite through better-sqlite3 (online backup API).'),
  path: z.string().min(1).describe('The database file; relative to the config file.'),
  ...backupSettings,
});

export const databaseSchema = z
  .discriminatedUnion('engine', [postgresDatabaseSchema, mysqlDatabaseSchema, sqliteDatabaseSchema])
  .refine((db) => db.engine !== 'postgres' || db.jobs === 1 || db.format === 'directory', { message: 'jobs > 1 needs format: directory', path: ['jobs'] })
  .refine((db) => db.engine !== 'postgres' || db.compressionLevel === undefined || db.compressionLevel <= 9 || db.compression === 'zstd' || db.compression === 'auto', {
    message: 'gzip levels are 0–9 (levels up to 19 are for zstd)',
    path: ['compressionLevel'],
  })
  .refine((db) => db.engine !== 'postgres' || db.format !== 'directory' || db.compression !== 'zstd', {
    message: 'zstd compression is for format: custom; use gzip or none with format: directory',
    path: ['compression'],
  });

export const environmentSchema = z
  .strictObject({
  target: targetSchema,
  health: healthCheckSchema.optional(),
  smoke: smokeSettingsSchema.optional().describe('A smoke suite run after every activation and every rollback, and by `rewind smoke`.'),
  watch: watchSettingsSchema.optional().describe('Watch a new release for a window before marking it good; roll back by itself when a metric fails.'),
  notify: notifySettingsSchema.optional().describe('Who hears about rollbacks, paused watches and failed deploys (webhooks, e.g. Slack).'),
  deploy: deploySettingsSchema.prefault({}),
  lock: lockSettingsSchema.prefault({}),
  database: databaseSchema.optional().describe('The database this environment\'s releases migrate: backed up, verified, restored.'),
  traffic: trafficSettingsSchema.optional().describe('Blue-green or canary deploys through a router in front of the two warm slots of `target.slots`.'),
})
  .refine((e) => !e.traffic || e.target.slots !== undefined, { message: 'traffic needs target.slots: the two warm slots the router moves traffic between', path: ['traffic'] })
  .refine((e) => !e.target.slots || e.target.runtime.type === 'pm2', { message: 'slots run under runtime type pm2 (one PM2 app per slot)', path: ['target', 'slots'] })
  .refine((e) => !e.target.slots || e.traffic !== undefined, { message: 'target.slots needs traffic: a router to move traffic between the slots', path: ['target', 'slots'] })
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
  environments: z.record(environmentName, environmentSchema).refine((envs) => Object.keys(envs).length > 0, 'at least one environment is required'),
});

export type RewindConfig = z.infer<typeof configSchema>;
export type EnvironmentConfig = z.infer<typeof environmentSchema>;
export type TargetConfig = z.infer<typeof targetSchema>;
export type RuntimeConfig = z.infer<typeof runtimeSchema>;
export type Pm2RuntimeConfig = z.infer<typeof pm2RuntimeSchema>;
export type CommandRuntimeConfig = z.infer<typeof commandRuntimeSchema>;
export type HealthCheckConfig = z.infer<typeof healthCheckSchema>;
export type SmokeSettings = z.infer<typeof smokeSettingsSchema>;
export type WatchSettings = z.infer<typeof watchSettingsSchema>;
export type TrafficSettings = z.infer<typeof trafficSettingsSchema>;
export type SlotsConfig = z.infer<typeof slotsSchema>;
export type DatabaseConfig = z.infer<typeof databaseSchema>;
export type MigrationsConfig = z.infer<typeof migrationsSchema>;
export type PostgresDatabaseConfig = z.infer<typeof postgresDatabaseSchema>;
export type MysqlDatabaseConfig = z.infer<typeof mysqlDatabaseSchema>;
export type SqliteDatabaseConfig = z.infer<typeof sqliteDatabaseSchema>;
