import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppDatabase, MIGRATE, withPg, type AppDatabase } from './support/app-database.js';
import { createSandbox, ENV, type CliResult, type Sandbox } from './support/sandbox.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';
import { startNotifyReceiver } from './support/notify-receiver.js';
import { loadDocsVerifier } from './support/docs-webhook-verifier.js';
import { POSTGRES_ADMIN_URL as PG_ADMIN, POSTGRES_SERVER, postgresUrl } from './support/services.js';

// "Secrets never leave" (DESIGN.md principle 5), checked end to end: a distinct known secret is planted
// in every place the config holds one, the real CLI runs deploys, a failed deploy with its automatic
// rollback (restore), dry-runs, --json, a down migration, db backup and db restore against the real
// PostgreSQL under real PM2, and then every place rewind writes to is searched for each secret.

const RECORDER = join(import.meta.dirname, 'fixtures', 'argv-recorder.cjs');
const API_TOKEN_VAR = 'RW_TEST_SECRETS_API_TOKEN';
// Not a secret-looking name: the value is a secret because the webhook definition says so, not by the ${VAR} name rule.
const SIGNING_VAR = 'RW_TEST_HOOK_SIGNING';

const M0 = { 'prisma/migrations/20251201000000_users/migration.sql': 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);\n' };
const M1 = { 'prisma/migrations/20260101000000_projects/migration.sql': 'CREATE TABLE projects (id serial PRIMARY KEY, name text NOT NULL);\n' };
const M2 = {
  'prisma/migrations/20260201000000_plan/migration.sql': 'ALTER TABLE users ADD COLUMN plan text;\n',
  'prisma/migrations/20260201000000_plan/down.sql': 'ALTER TABLE users DROP COLUMN plan;\n',
};
// Breaking (the running release reads `email`), with a down migration so the preflight lets it through.
const M3 = {
  'prisma/migrations/20260301000000_rename/migration.sql': 'ALTER TABLE users RENAME COLUMN email TO mail;\n',
  'prisma/migrations/20260301000000_rename/down.sql': 'ALTER TABLE users RENAME COLUMN mail TO email;\n',
};

/** Distinct, unmistakable, URL-safe: each can be found anywhere and told from the others. */
const secret = (label: string): string => `rwsecret-${label}-${randomBytes(6).toString('hex')}`;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

interface Planted {
  secrets: Record<string, string>;
  basic: string;
}

function plant(withLedgerPassword: boolean): Planted {
  const secrets: Record<string, string> = {
    databasePassword: secret('dbpw'),
    migrationsDsnPassword: secret('migdsn'),
    migrationsPgPassword: secret('migpgpw'),
    healthHeader: secret('health'),
    healthUrlPassword: secret('healthurl'),
    runtimeLiteral: secret('runlit'),
    runtimeInterpolated: secret('runvar'),
    webhookUser: secret('hookuser'),
    webhookPassword: secret('hookpw'),
    webhookPath: secret('hookpath'),
    webhookQuery: secret('hookquery'),
    webhookHeader: secret('hookheader'),
    webhookSigning: secret('hooksigning'),
    slackPath: secret('slackpath'),
    pagerdutyKey: secret('pdkey'),
    ...(withLedgerPassword ? { ledgerPassword: secret('ledgerpw') } : {}),
  };
  return { secrets, basic: Buffer.from(`${secrets.webhookUser}:${secrets.webhookPassword}`).toString('base64') };
}

function databaseYaml(planted: Planted, db: AppDatabase, root: string, hookPort: number, notifyPort: number): string {
  const s = planted.secrets;
  const url = (password: string) => postgresUrl(db.name, { password });
  return `    notify:
      webhooks:
        - url: http://${s.webhookUser}:${s.webhookPassword}@127.0.0.1:${hookPort}/hooks/${s.webhookPath}?token=${s.webhookQuery}
          headers: { x-hook-token: "${s.webhookHeader}" }
          signingSecret: \${${SIGNING_VAR}}
      slack:
        - webhookUrl: http://127.0.0.1:${notifyPort}/services/${s.slackPath}
      pagerduty:
        - routingKey: ${s.pagerdutyKey}
          endpoint: http://127.0.0.1:${notifyPort}
      delivery: { maxAttempts: 1 }
    database:
      engine: postgres
      url: ${url(s.databasePassword!)}
      backupDir: ${join(root, 'backups')}
      backupLog: ${join(root, 'ops', 'backups.log')}
      criticalTables: [users]
      migrations:
        tool: prisma
        dir: prisma/migrations
        apply: ["${process.execPath}", "${MIGRATE}", "{release_dir}/prisma/migrations"]
        down:
          - [psql, -X, -q, -v, ON_ERROR_STOP=1, -f, "{down_file}"]
          - ["${process.execPath}", "${MIGRATE}", --rolled-back, "{migration}"]
        env:
          DATABASE_URL: ${url(s.migrationsDsnPassword!)}
          PGHOST: ${POSTGRES_SERVER.host}
          PGUSER: ${POSTGRES_SERVER.user}
          PGDATABASE: ${db.name}
          PGPASSWORD: ${s.migrationsPgPassword}`;
}

function runtimeYaml(planted: Planted, root: string, port: number): string {
  return `        type: pm2
        name: rw-${port}
        script: server.js
        execMode: cluster
        instances: 1
        pm2Home: ${join(root, 'pm2')}
        killTimeoutMs: 2000
        env:
          PORT: "${port}"
          OPERATOR_TOKEN: ${planted.secrets.runtimeLiteral}
          API_TOKEN: \${${API_TOKEN_VAR}}`;
}

/** Every file under `dir`, recursively (sockets and other special files skipped). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((file) => statSync(file).isFile());
}

const bufferAsText = (_key: string, value: unknown): unknown =>
  value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)
    ? Buffer.from((value as { data: number[] }).data).toString('latin1')
    : typeof value === 'bigint'
      ? String(value)
      : value;

/** Every row of every table of the ledger, one text per table. */
async function ledgerTables(ledger: string): Promise<Record<string, string>> {
  const tables: Record<string, string> = {};
  if (ledger.startsWith('postgres')) {
    await withPg(ledger, async (client) => {
      const names = await client.query<{ schema: string; name: string }>(
        `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
      );
      for (const { schema, name } of names.rows) {
        const rows = await client.query(`SELECT * FROM "${schema}"."${name}"`);
        tables[`${schema}.${name}`] = JSON.stringify(rows.rows, bufferAsText);
      }
    });
    return tables;
  }
  const db = new Database(ledger, { readonly: true });
  try {
    const names = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[];
    for (const { name } of names) tables[name] = JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all(), bufferAsText);
  } finally {
    db.close();
  }
  // The file itself too: a value in a free page or the write-ahead log is still on disk.
  for (const file of [ledger, `${ledger}-wal`]) if (existsSync(file)) tables[`file ${file}`] = readFileSync(file).toString('latin1');
  return tables;
}

interface ArgvRecord {
  by: string;
  kind: string;
  argv: string[];
  digests: Record<string, string>;
}

async function runScenario(ledgerKind: 'sqlite' | 'postgres', cleanup: (() => Promise<unknown>)[]): Promise<void> {
  const planted = plant(ledgerKind === 'postgres');
  const s = planted.secrets;
  process.env[API_TOKEN_VAR] = s.runtimeInterpolated;
  cleanup.push(async () => delete process.env[API_TOKEN_VAR]);
  process.env[SIGNING_VAR] = s.webhookSigning;
  cleanup.push(async () => delete process.env[SIGNING_VAR]);

  const verify = await loadDocsVerifier();
  const hooks: WebhookReceiver<Record<string, unknown>> = await startWebhookReceiver({ verify: (headers, raw) => verify(s.webhookSigning!, headers, raw) });
  cleanup.push(() => hooks.close());
  // Slack answers; PagerDuty fails every request (500), so its messages die and `notify status` lists them with their errors.
  const notify = await startNotifyReceiver((r) => (r.path.startsWith('/services/') ? 200 : 500));
  cleanup.push(() => notify.close());
  const db = await createAppDatabase('rewind_secrets');
  cleanup.push(() => db.drop());
  await db.migrate(M0);
  let ledger: string | undefined;
  if (ledgerKind === 'postgres') {
    const name = `rewind_secrets_ledger_${randomBytes(4).toString('hex')}`;
    await withPg(PG_ADMIN, (c) => c.query(`CREATE DATABASE ${name}`));
    cleanup.push(() => withPg(PG_ADMIN, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
    ledger = postgresUrl(name, { password: s.ledgerPassword });
  }
  const sandbox: Sandbox = await createSandbox({
    ledger,
    runtimeYaml: (root, port) => runtimeYaml(planted, root, port),
    healthHeaders: { authorization: `Bearer ${s.healthHeader}` },
    healthUserinfo: `probe:${s.healthUrlPassword}`,
    databaseYaml: (root) => databaseYaml(planted, db, root, hooks.port, notify.port),
  });
  cleanup.unshift(() => sandbox.close());
  await sandbox.release('1.0.0', { files: { ...M0, ...M1 } });
  await sandbox.release('1.1.0', { files: { ...M0, ...M1, ...M2 } });
  await sandbox.release('2.0.0', { files: { ...M0, ...M1, ...M2, ...M3 }, fault: { health: 'fail' } });

  const argvLog = join(sandbox.root, 'argv.jsonl');
  const env = {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${RECORDER}`.trim(),
    REWIND_TEST_ARGV_LOG: argvLog,
    REWIND_TEST_ENV_DIGESTS: 'PGPASSWORD,DATABASE_URL',
    XDG_CACHE_HOME: join(sandbox.root, 'cache'),
  };
  const runs: { args: string[]; result: CliResult }[] = [];
  const cli = async (args: string[], expected: number): Promise<CliResult> => {
    const result = await sandbox.cli(args, { env, timeoutMs: 90_000 });
    runs.push({ args, result });
    expect(result.code, `rewind ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(expected);
    return result;
  };

  await cli(['deploy', ENV, '1.0.0', '--dry-run'], 0);
  await cli(['deploy', ENV, '1.0.0', '--dry-run', '--json'], 0);
  await cli(['deploy', ENV, '1.0.0'], 0);
  await cli(['deploy', ENV, '1.1.0', '--json'], 0);
  await cli(['rollback', ENV, '--dry-run'], 0);
  await cli(['rollback', ENV, '--dry-run', '--json'], 0);
  await cli(['db', 'down', ENV, '--dry-run'], 0);
  await cli(['db', 'down', ENV, '--yes'], 0);
  // Breaking migration + failing health: the automatic rollback restores the pre-upgrade backup.
  await cli(['deploy', ENV, '2.0.0', '--json'], 7);
  await cli(['db', 'backup', ENV, '--dry-run'], 0);
  await cli(['db', 'backup', ENV, '--dry-run', '--json'], 0);
  const backup = JSON.parse((await cli(['db', 'backup', ENV, '--json'], 0)).stdout) as { backup: { id: number } };
  await cli(['db', 'restore', ENV, '--backup', String(backup.backup.id), '--dry-run', '--json'], 0);
  await cli(['db', 'restore', ENV, '--backup', String(backup.backup.id), '--yes'], 0);
  // The outbox: what is dead (PagerDuty), its errors, a retry (audited), all of it searched below.
  const status = JSON.parse((await cli(['notify', 'status', ENV, '--json'], 0)).stdout) as { counts: { dead: number }; dead: { destination: string; lastError: string }[] };
  expect(status.counts.dead).toBeGreaterThan(0);
  expect(status.dead[0]).toMatchObject({ destination: `http://127.0.0.1:${notify.port} (Events API v2)`, lastError: 'answered 500' });
  await cli(['notify', 'status'], 0);
  await cli(['notify', 'retry', ENV, '--dry-run'], 0);
  await cli(['notify', 'retry', ENV, '--json'], 0);

  // rewind starts its children as `setpriv --pdeathsig KILL -- <program> …` (they die with it): the argv checked is the program's.
  const unwrap = (argv: string[]) => (argv[0] === '/usr/bin/setpriv' && argv.includes('--') ? argv.slice(argv.indexOf('--') + 1) : argv);
  const records = readFileSync(argvLog, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as ArgvRecord).map((r) => ({ ...r, argv: unwrap(r.argv) }));
  // And nowhere else.
  const haystacks: Record<string, string> = {};
  for (const [table, text] of Object.entries(await ledgerTables(sandbox.config.ledger))) haystacks[`ledger ${table}`] = text;
  haystacks['events log'] = readFileSync(sandbox.config.log.file, 'utf8');
  haystacks['ops/backups.log'] = readFileSync(join(sandbox.root, 'ops', 'backups.log'), 'utf8');
  const pm2Home = join(sandbox.root, 'pm2');
  const pm2Logs = [join(pm2Home, 'pm2.log'), ...filesUnder(join(pm2Home, 'logs'))];
  expect(pm2Logs.length).toBeGreaterThanOrEqual(3);
  for (const file of pm2Logs) haystacks[file] = readFileSync(file, 'utf8');
  runs.forEach(({ args, result }, index) => {
    haystacks[`#${index} rewind ${args.join(' ')}: stdout`] = result.stdout;
    haystacks[`#${index} rewind ${args.join(' ')}: stderr`] = result.stderr;
  });
  haystacks['webhook payloads'] = JSON.stringify(hooks.received);
  // Slack's messages; PagerDuty's requests carry the routing key by design (checked below), their URLs do not.
  haystacks['slack payloads and paths'] = JSON.stringify(notify.requests.filter((r) => r.path.startsWith('/services/')).map((r) => r.body));
  haystacks['pagerduty paths and headers'] = JSON.stringify(notify.requests.filter((r) => !r.path.startsWith('/services/')).map((r) => [r.path, r.headers]));
  // Children of the migration tool are the user's tool's doing (it hands psql the URL in argv); every
  // other process was started by rewind, or by the PM2 daemon rewind started, from rewind's argv.
  records.filter((r) => r.by !== MIGRATE).forEach((r, index) => (haystacks[`argv #${index} (${r.kind} by ${r.by})`] = JSON.stringify(r.argv)));
  expect(records.some((r) => r.by.endsWith(join('cli', 'main.js')) && r.argv[0]?.endsWith('pg_dump'))).toBe(true);

  const needles: Record<string, string> = { ...s, webhookBasic: planted.basic };
  const hits: string[] = [];
  for (const [where, text] of Object.entries(haystacks)) {
    for (const [label, value] of Object.entries(needles)) if (text.includes(value)) hits.push(`${label} in ${where}`);
  }
  expect(hits).toEqual([]);

  // Stored plans name where each secret is read, so a resumed plan still has what it needs.
  const plans = JSON.stringify((await sandbox.ledger.listOperations(ENV, { limit: 100 })).map((op) => op.plan));
  expect(plans).toContain('"PGPASSWORD":{"secret":"environments.staging.database.url#password"}');
  expect(plans).toContain('"PGPASSWORD":{"secret":"environments.staging.database.migrations.env.PGPASSWORD"}');
  expect(plans).toContain('"DATABASE_URL":{"secret":"environments.staging.database.migrations.env.DATABASE_URL"}');

  // The secrets did reach where they must.
  expect(await sandbox.served()).toEqual({ status: 200, version: '1.1.0' });
  const internal = await fetch(`http://127.0.0.1:${sandbox.port}/health/internal`, { headers: { 'x-operator-token': s.runtimeLiteral! } });
  expect(internal.status).toBe(200); // the app runs with runtime.env OPERATOR_TOKEN
  // The down reverted `plan` and the restores brought back the schema from before 2.0.0's rename.
  expect((await db.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY 1`)).map((r) => r.column_name)).toEqual(['email', 'id']);
  expect(hooks.received.map((r) => (r.event as { event: string }).event)).toEqual(['down_complete', 'deploy_complete', 'rollback_start', 'rollback_complete', 'restore_complete']);
  for (const request of hooks.requests) {
    expect(request.url).toBe(`/hooks/${s.webhookPath}?token=${s.webhookQuery}`);
    expect(request.headers.authorization).toBe(`Basic ${planted.basic}`);
    expect(request.headers['x-hook-token']).toBe(s.webhookHeader);
    expect(request.verified).toBe(true); // signed with the secret that shows nowhere
  }
  const slackPosts = notify.requests.filter((r) => r.path === `/services/${s.slackPath}`);
  expect(slackPosts.map((r) => (JSON.parse(r.body) as { text: string }).text.split('\n')[0])).toContain('🚨 INCIDENT ALERT');
  const pagerduty = notify.requests.filter((r) => !r.path.startsWith('/services/'));
  expect(pagerduty.length).toBeGreaterThan(0);
  for (const request of pagerduty) expect((JSON.parse(request.body) as { routing_key: string }).routing_key).toBe(s.pagerdutyKey);
  const spawned = (program: string) => records.filter((r) => r.argv[0]?.endsWith(program));
  expect(spawned('pg_dump').length).toBeGreaterThanOrEqual(4); // pre-upgrade × 3, safety × 2, manual, …
  for (const dump of [...spawned('pg_dump'), ...spawned('pg_restore')]) expect(dump.digests.PGPASSWORD).toBe(sha256(s.databasePassword!));
  const migrateRuns = records.filter((r) => r.argv[1] === MIGRATE);
  expect(migrateRuns.length).toBeGreaterThanOrEqual(3); // apply × 2 (1.0.0, 1.1.0; 2.0.0 too), --rolled-back × 1
  for (const run of migrateRuns) expect(run.digests.DATABASE_URL).toBe(sha256(postgresUrl(db.name, { password: s.migrationsDsnPassword })));
  const downPsql = records.filter((r) => r.by !== MIGRATE && /(^|\/)psql$/.test(r.argv[0] ?? '') && r.argv.includes('-f'));
  expect(downPsql).toHaveLength(1);
  expect(downPsql[0]!.digests.PGPASSWORD).toBe(sha256(s.migrationsPgPassword!));
}

describe('secrets at rest: no planted secret in the ledger, logs, output or argv (real CLI, PM2, PostgreSQL)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step().catch(() => undefined);
  });

  it('with the SQLite ledger', async () => {
    await runScenario('sqlite', cleanup);
  }, 240_000);

  it('with a PostgreSQL ledger', async () => {
    await runScenario('postgres', cleanup);
  }, 240_000);
});
