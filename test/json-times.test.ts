import Database from 'better-sqlite3';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/sandbox.js';

// One time format in all JSON output: every time rewind prints in --json (status, history and its
// events, release register and list, db backup, list and prune, unlock, the event lines of an
// operation) is ISO 8601 UTC, never epoch milliseconds; and `history` prints times as `status` does.

const ENV = 'staging';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
let root: string;
let server: Server;

const cli = (...args: string[]) => runCli([...args, '--config', join(root, 'rewind.yaml')]);

/** Every time field in `value`, by path; fails on a time field that is not ISO or an epoch-ms number under any name. */
function times(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => times(v, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, v]) => {
      const at = `${path}.${key}`;
      if (/^(at|time|[a-z][A-Za-z0-9]*At)$/.test(key) && v !== null) {
        expect(v, at).toMatch(ISO);
        return [at];
      }
      return times(v, at);
    });
  }
  // 1e12 ms is 2001, 1e13 is 2286: a number there is a time that leaked as epoch milliseconds.
  if (typeof value === 'number') expect(value >= 1e12 && value < 1e13, `${path} = ${value} looks like epoch ms`).toBe(false);
  return [];
}

async function json(...args: string[]): Promise<unknown> {
  const result = await cli(...args, '--json');
  expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rewind-times-'));
  server = createServer((_request, response) => response.writeHead(200, { connection: 'close' }).end('{"status":"ok"}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const app = new Database(join(root, 'app.sqlite'));
  app.exec('CREATE TABLE users (id INTEGER PRIMARY KEY); INSERT INTO users VALUES (1), (2);');
  app.close();
  await writeFile(
    join(root, 'rewind.yaml'),
    `version: 1
ledger: ./rewind.db
log:
  file: ./rewind-events.log
environments:
  ${ENV}:
    target:
      type: releases
      path: ./srv
      runtime:
        type: command
        start: ["true"]
        reload: ["true"]
    health:
      url: http://127.0.0.1:${port}/health
      retries: 0
    deploy:
      minFreeMb: 1
    database:
      engine: sqlite
      path: ./app.sqlite
      backupDir: ./backups
      backupLog: ./ops/backups.log
      criticalTables: [users]
`,
  );
  for (const version of ['1.0.0', '1.1.0']) {
    const dir = join(root, 'artifacts', version);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'app.txt'), version);
  }
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(root, { recursive: true, force: true });
});

describe('every time in --json is ISO 8601 UTC', () => {
  it('release, deploy events, status, history, history --events, db backup/list/prune, unlock', async () => {
    const found: string[] = [];
    found.push(...times(await json('release', 'register', ENV, '1.0.0', '--artifact', join(root, 'artifacts', '1.0.0'))));
    found.push(...times(await json('release', 'register', ENV, '1.1.0', '--artifact', join(root, 'artifacts', '1.1.0'))));
    for (const version of ['1.0.0', '1.1.0']) {
      const deployed = await cli('deploy', ENV, version, '--json');
      expect(deployed.code, deployed.stderr).toBe(0);
      for (const line of deployed.stdout.trim().split('\n')) found.push(...times(JSON.parse(line)));
    }
    found.push(...times(await json('status', ENV)));
    found.push(...times(await json('history', ENV)));
    found.push(...times(await json('history', ENV, '--events')));
    found.push(...times(await json('release', 'list', ENV)));
    found.push(...times(await json('db', 'backup', ENV)));
    found.push(...times(await json('db', 'list', ENV, '--all')));
    found.push(...times(await json('db', 'prune', ENV, '--dry-run')));
    // unlock --json prints its lock_forced event line, then its result.
    const unlocked = await cli('unlock', ENV, '--force', '--reason', 'test', '--json');
    expect(unlocked.code, unlocked.stderr).toBe(0);
    for (const line of unlocked.stdout.trim().split('\n')) found.push(...times(JSON.parse(line)));
    found.push(...times(await json('advise', ENV)));
    // Not vacuous: the fields that used to be epoch milliseconds are among them.
    for (const field of [/^\$\.release\.createdAt$/, /^\$\[0\]\.startedAt$/, /^\$\[0\]\.finishedAt$/, /^\$\[0\]\.steps\[0\]\.startedAt$/, /^\$\[0\]\.at$/, /^\$\.backup\.createdAt$/, /^\$\.lastOperation\.startedAt$/]) {
      expect(found.some((path) => field.test(path)), String(field)).toBe(true);
    }
  });

  it('history prints an operation’s time exactly as status does', async () => {
    const status = await cli('status', ENV);
    const history = await cli('history', ENV, '--limit', '1');
    const shown = /^last operation {2}deploy 1\.0\.0 → 1\.1\.0: succeeded at (\S+)/m.exec(status.stdout)?.[1];
    expect(shown).toMatch(ISO);
    expect(history.stdout.split('\n')[0]!.startsWith(`${shown}  deploy`)).toBe(true);
    const [operation] = (await json('history', ENV, '--limit', '1')) as { startedAt: string }[];
    expect(operation!.startedAt).toBe(shown);
  });
});
