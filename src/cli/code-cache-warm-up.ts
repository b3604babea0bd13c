import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { buildSampleArtifact, sampleConfigYaml } from '../demo/sample-artifacts.js';
import { main } from './rewind-cli.js';

/** One command the warm-up ran and its exit code (0 for all of them when nothing is wrong). */
export interface WarmUpRun {
  argv: string[];
  code: number;
}

/**
 * The commands whose code V8's cache should hold compiled (main.ts writes the cache after them).
 * V8 compiles a function only when it first runs, and the cache holds only what was compiled: a
 * cache written after `--version` saves less than half of what one written after a rollback saves
 * (measured in docs/benchmarks.md). So this runs, in one process, the path every operation takes:
 * config, ledger, register, status, a deploy and a rollback with their plans, journal, steps and
 * health check. All of it happens in a temp dir, on the `releases` target with a `command` runtime
 * whose commands are `true`, against a health endpoint served here on loopback; nothing outside the
 * temp dir is touched, and the temp dir is removed.
 */
export async function warmUpCommands(): Promise<WarmUpRun[]> {
  const root = await mkdtemp(join(tmpdir(), 'rewind-code-cache-'));
  // The health endpoint answers for the release the `current` link points at, as the sample app would.
  const server = createServer((_request, response) => {
    readFile(join(root, 'srv', 'current', 'release.json'), 'utf8').then(
      (text) => response.end(JSON.stringify({ status: 'ok', version: (JSON.parse(text) as { version: string }).version })),
      () => response.writeHead(503).end(),
    );
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
    const config = join(root, 'rewind.yaml');
    const runtimeYaml = ['type: command', 'start: ["true"]', 'reload: ["true"]', 'stop: ["true"]', 'status: ["true"]'].map((line) => `        ${line}`).join('\n');
    await writeFile(config, sampleConfigYaml({ root, env: 'production', port, appName: 'rewind-warm-up', runtimeYaml, retries: 0 }));
    const artifacts = join(root, 'artifacts');
    const [first, second] = [await buildSampleArtifact(artifacts, { version: '1.0.0' }), await buildSampleArtifact(artifacts, { version: '1.1.0' })];
    const commands: string[][] = [
      ['--help'],
      ['rollback', '--help'],
      ['config', 'check'],
      ['release', 'register', 'production', '1.0.0', '--artifact', first, '--ci', 'passed'],
      ['release', 'register', 'production', '1.1.0', '--artifact', second, '--ci', 'passed'],
      ['deploy', 'production', '1.0.0'],
      ['deploy', 'production', '1.1.0', '--dry-run'],
      ['deploy', 'production', '1.1.0', '--json'],
      ['status', 'production'],
      ['rollback', 'production', '--dry-run'],
      ['rollback', 'production', '--yes', '--json'],
      ['history', 'production'],
    ];
    const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
    // XDG_CACHE_HOME: the valid-config stamps `config check` writes land in the temp dir too.
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: join(root, 'cache') };
    delete env.REWIND_CODE_CACHE;
    const runs: WarmUpRun[] = [];
    for (const argv of commands) {
      const full = argv[0]?.startsWith('-') || argv[1] === '--help' ? argv : [...argv, '--config', config];
      runs.push({ argv: full, code: await main(full, { stdout: discard as NodeJS.WritableStream, stderr: discard as NodeJS.WritableStream, env }) });
    }
    return runs;
  } finally {
    server.close();
    await rm(root, { recursive: true, force: true });
  }
}
