import { RewindError } from '../../../errors/rewind-error.js';
import type { CommandResult, CommandSpec } from '../../../ports/executor.js';
import { projectContainersArgs } from './compose-commands.js';
import { EngineSocket, EngineUnreachable } from './engine-socket.js';

/** The slice of `docker inspect` (the Engine API's container JSON) the compose target reads. */
export interface InspectedContainer {
  Id: string;
  Name: string;
  Config: { Image: string; Labels: Record<string, string> | null; Healthcheck?: { Test?: string[] | null; Timeout?: number } | null; Shell?: string[] | null };
  State: { Status: string; Running: boolean; StartedAt: string; ExitCode?: number; Error?: string; Health?: { Status: string } };
}

/**
 * What the compose target asks Docker without changing anything: the project's containers, their
 * state, whether an image is present, a healthcheck test's verdict, Docker's data root. Two ways:
 * the Engine API on a local socket, or one docker CLI process per question.
 */
export interface ContainerReads {
  /** How the answers are got, for reports and plans. */
  readonly via: 'engine-api' | 'docker-cli';
  containerIds(project: string, options?: { all?: boolean }): Promise<string[]>;
  /** Containers gone between listing and inspecting are left out. */
  inspect(ids: readonly string[]): Promise<InspectedContainer[]>;
  imageExists(reference: string): Promise<boolean>;
  /** Runs `command` in the container: true when it exits 0 within timeoutMs. */
  passes(containerId: string, command: readonly string[], timeoutMs: number): Promise<boolean>;
  dockerRootDir(): Promise<string | null>;
  close(): void;
}

/** How the CLI reads run a docker argv: `quiet` returns a failure, `checked` throws it (REWIND_E_COMPOSE_FAILED). */
export interface DockerRunner {
  docker(args: readonly string[], timeoutMs?: number): CommandSpec;
  quiet(command: CommandSpec): Promise<CommandResult>;
  checked(command: CommandSpec): Promise<CommandResult>;
}

export class CliReads implements ContainerReads {
  readonly via = 'docker-cli' as const;
  constructor(private readonly runner: DockerRunner) {}

  async containerIds(project: string, options: { all?: boolean } = {}): Promise<string[]> {
    const result = await this.runner.checked(this.runner.docker(projectContainersArgs(project, options), 60_000));
    return result.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  }

  async inspect(ids: readonly string[]): Promise<InspectedContainer[]> {
    if (ids.length === 0) return [];
    // A container removed between ps and inspect makes inspect exit 1 with the others still printed.
    const result = await this.runner.quiet(this.runner.docker(['inspect', ...ids], 60_000));
    try {
      return JSON.parse(result.stdout) as InspectedContainer[];
    } catch {
      throw new RewindError('REWIND_E_COMPOSE_FAILED', `docker inspect failed: ${tail(result.stderr)}`, { exitCode: result.exitCode });
    }
  }

  async imageExists(reference: string): Promise<boolean> {
    return (await this.runner.quiet(this.runner.docker(['image', 'inspect', '--format', '{{.Id}}', reference], 60_000))).exitCode === 0;
  }

  async passes(containerId: string, command: readonly string[], timeoutMs: number): Promise<boolean> {
    return (await this.runner.quiet(this.runner.docker(['exec', containerId, ...command], timeoutMs))).exitCode === 0;
  }

  async dockerRootDir(): Promise<string | null> {
    const info = await this.runner.quiet(this.runner.docker(['info', '--format', '{{.DockerRootDir}}'], 30_000));
    return info.exitCode === 0 ? info.stdout.trim() || null : null;
  }

  close(): void {}
}

const EXEC_STATE_POLL_MS = 10;

/**
 * The same reads through the Engine API on a unix socket. A socket that cannot be reached (gone,
 * refused, not permitted) hands this and every later read to the CLI, which reports its own error.
 */
export class EngineApiReads implements ContainerReads {
  private fallback: ContainerReads | null = null;
  private readonly engine: EngineSocket;

  constructor(socketPath: string, private readonly cli: CliReads) {
    this.engine = new EngineSocket(socketPath);
  }

  get via(): 'engine-api' | 'docker-cli' {
    return this.fallback ? this.fallback.via : 'engine-api';
  }

  private async orCli<T>(api: () => Promise<T>, cli: (reads: ContainerReads) => Promise<T>): Promise<T> {
    if (this.fallback) return cli(this.fallback);
    try {
      return await api();
    } catch (error) {
      if (!(error instanceof EngineUnreachable)) throw error;
      this.fallback = this.cli;
      return cli(this.cli);
    }
  }

  private async get(path: string, timeoutMs = 60_000) {
    return this.engine.request('GET', path, undefined, timeoutMs);
  }

  containerIds(project: string, options: { all?: boolean } = {}): Promise<string[]> {
    return this.orCli(async () => {
      const filters = encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${project}`] }));
      const res = await this.get(`/containers/json?all=${options.all ? 1 : 0}&filters=${filters}`);
      if (res.status !== 200) throw apiFailure('list the containers of the project', res);
      return (JSON.parse(res.body) as { Id: string }[]).map((c) => c.Id);
    }, (reads) => reads.containerIds(project, options));
  }

  inspect(ids: readonly string[]): Promise<InspectedContainer[]> {
    return this.orCli(async () => {
      const answers = await Promise.all(ids.map((id) => this.get(`/containers/${encodeURIComponent(id)}/json`)));
      const found: InspectedContainer[] = [];
      for (const res of answers) {
        if (res.status === 404) continue;
        if (res.status !== 200) throw apiFailure('inspect a container', res);
        found.push(JSON.parse(res.body) as InspectedContainer);
      }
      return found;
    }, (reads) => reads.inspect(ids));
  }

  imageExists(reference: string): Promise<boolean> {
    // The API route takes the reference as the rest of the path, slashes included (as the CLI sends it).
    const name = reference.split('/').map(encodeURIComponent).join('/');
    return this.orCli(async () => (await this.get(`/images/${name}/json`)).status === 200, (reads) => reads.imageExists(reference));
  }

  passes(containerId: string, command: readonly string[], timeoutMs: number): Promise<boolean> {
    return this.orCli(async () => {
      const deadline = Date.now() + timeoutMs;
      const created = await this.engine.request('POST', `/containers/${encodeURIComponent(containerId)}/exec`, { Cmd: command, AttachStdin: false, AttachStdout: false, AttachStderr: false }, timeoutMs);
      if (created.status !== 201) return false; // not running, gone: no verdict
      const execId = (JSON.parse(created.body) as { Id: string }).Id;
      const started = await this.engine.request('POST', `/exec/${execId}/start`, { Detach: true, Tty: false }, timeoutMs);
      if (started.status !== 200) return false; // the test's program does not exist in the image
      for (;;) {
        const state = await this.get(`/exec/${execId}/json`, Math.max(1000, deadline - Date.now()));
        if (state.status !== 200) return false;
        const { Running, ExitCode } = JSON.parse(state.body) as { Running: boolean; ExitCode: number | null };
        if (!Running && ExitCode !== null) return ExitCode === 0;
        // Docker's own timeout would count a test this slow as failed; it is left running, as Docker leaves it.
        if (Date.now() >= deadline) return false;
        await new Promise((r) => setTimeout(r, EXEC_STATE_POLL_MS));
      }
    }, (reads) => reads.passes(containerId, command, timeoutMs));
  }

  dockerRootDir(): Promise<string | null> {
    return this.orCli(async () => {
      const res = await this.get('/info', 30_000);
      return res.status === 200 ? ((JSON.parse(res.body) as { DockerRootDir?: string }).DockerRootDir ?? null) : null;
    }, (reads) => reads.dockerRootDir());
  }

  close(): void {
    this.engine.close();
  }
}

/** The last lines of a tool's output, on one line, for an error message. */
export function tail(text: string): string {
  const lines = text.trim().split('\n');
  return lines.slice(-5).join(' | ').slice(0, 1000);
}

function apiFailure(what: string, res: { status: number; body: string }): RewindError {
  let message = res.body.trim().slice(0, 500);
  try {
    message = (JSON.parse(res.body) as { message?: string }).message ?? message;
  } catch {
    // Not JSON: the body as it came.
  }
  return new RewindError('REWIND_E_COMPOSE_FAILED', `Docker Engine API: cannot ${what} (HTTP ${res.status}: ${message})`, { status: res.status });
}
