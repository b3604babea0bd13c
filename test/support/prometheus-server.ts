import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../../src/demo/sample-artifacts.js';

/** Debian's package, started by hand (no systemd here): npm test's set-up (scripts/test-setup.mjs) installs it. */
export const PROMETHEUS = '/usr/bin/prometheus';

export interface PrometheusServer {
  url: string;
  pid: number;
  /** The server's stderr so far (bounded), for failure messages. */
  log(): string;
  /** Ends it by its PID: SIGKILL is an outage, SIGTERM a clean stop. Resolves once it has exited. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A throwaway Prometheus scraping `targets` every second, with its config and TSDB under `dir`,
 * listening on `port` (chosen beforehand when a config must name it) or a free loopback port.
 * Resolves once /-/ready answers.
 */
export async function startPrometheus(dir: string, targets: string[], port?: number): Promise<PrometheusServer> {
  if (!existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} is missing: install it with \`apt-get install -y prometheus\``);
  await mkdir(dir, { recursive: true });
  port ??= await freePort();
  const config = join(dir, 'prometheus.yml');
  await writeFile(
    config,
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: sample\n    static_configs:\n      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]\n`,
  );
  const child: ChildProcess = spawn(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    if (log.length < 64 * 1024) log += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const server: PrometheusServer = {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    log: () => log,
    async stop(signal = 'SIGTERM') {
      if (!running()) return;
      process.kill(child.pid!, signal);
      const timer = setTimeout(() => running() && process.kill(child.pid!, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  // Ready is not enough: discovery hands targets to the scraper only every 5 s, so wait until every
  // target has been scraped once (`up` exists, 0 while the app is not running yet).
  const deadline = Date.now() + 30_000;
  while (!(await scrapedOnce(server.url, targets))) {
    if (!running() || Date.now() > deadline) {
      await server.stop('SIGKILL');
      throw new Error(`prometheus did not scrape ${targets.join(', ')} within 30 s:\n${log.slice(-2000)}`);
    }
    await sleep(200);
  }
  return server;
}

async function scrapedOnce(url: string, targets: string[]): Promise<boolean> {
  try {
    const response = await fetch(`${url}/api/v1/query?query=up`);
    if (!response.ok) return false;
    const body = (await response.json()) as { data?: { result?: { metric: { instance?: string } }[] } };
    const seen = new Set((body.data?.result ?? []).map((r) => r.metric.instance));
    return targets.every((t) => seen.has(t));
  } catch {
    return false;
  }
}
