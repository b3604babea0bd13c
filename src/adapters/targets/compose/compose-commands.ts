import type { CommandSpec } from '../../../ports/executor.js';

// The argv of every docker and compose call the compose target makes, as data: built here without a
// Docker engine (compose-commands.test.ts asserts them for both Compose flavours), run by the
// Executor, printed as they are by dry-runs. Never a shell string.

/** Compose v2 is a docker CLI plugin (`docker compose`); v1 is its own program (`docker-compose`). */
export type ComposeFlavour = 'docker-compose' | 'docker-compose-plugin';

export interface ComposeInvocation {
  readonly docker: string;
  readonly flavour: ComposeFlavour;
  readonly project: string;
  /** The user's compose files, absolute, in order. */
  readonly files: readonly string[];
  /** rewind's override file (`image:` and the rewind.version label per pinned service), last so it wins. */
  readonly override: string | null;
  /** Added to rewind's environment: DOCKER_HOST, and the image variables of `imageVariables`. */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

/** `docker compose -p P -f a.yml -f override.yml <args>` (v2) or `docker-compose -p P -f ... <args>` (v1). */
export function composeCommand(at: ComposeInvocation, args: readonly string[]): CommandSpec {
  const program = at.flavour === 'docker-compose-plugin' ? [at.docker, 'compose'] : ['docker-compose'];
  const files = [...at.files, ...(at.override ? [at.override] : [])].flatMap((file) => ['-f', file]);
  return { argv: [...program, '-p', at.project, ...files, ...args], env: { ...at.env }, timeoutMs: at.timeoutMs };
}

/** `up -d --no-deps <services>`: only the services the release changes; their dependencies are left as they run. */
export function upCommand(at: ComposeInvocation, services: readonly string[]): CommandSpec {
  return composeCommand(at, ['up', '-d', '--no-deps', ...services]);
}

export function stopCommand(at: ComposeInvocation, services: readonly string[]): CommandSpec {
  return composeCommand(at, ['stop', ...services]);
}

/** The services the compose files define (with rewind's override: it may not add one). */
export function servicesCommand(at: ComposeInvocation): CommandSpec {
  return composeCommand({ ...at, override: null }, ['config', '--services']);
}

/** What `auto` asks, in order: the v2 plugin first, then v1. */
export function versionProbes(docker: string, env: Readonly<Record<string, string>>): { flavour: ComposeFlavour; command: CommandSpec }[] {
  return [
    { flavour: 'docker-compose-plugin', command: { argv: [docker, 'compose', 'version'], env: { ...env }, timeoutMs: 30_000 } },
    { flavour: 'docker-compose', command: { argv: ['docker-compose', 'version'], env: { ...env }, timeoutMs: 30_000 } },
  ];
}

export function dockerCommand(docker: string, env: Readonly<Record<string, string>>, timeoutMs: number, args: readonly string[]): CommandSpec {
  return { argv: [docker, ...args], env: { ...env }, timeoutMs };
}

/** The running containers of the project (one id a line); with `all`, stopped ones too. */
export function projectContainersArgs(project: string, options: { all?: boolean; service?: string } = {}): string[] {
  return ['ps', ...(options.all ? ['-a'] : []), '-q', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`, ...(options.service ? ['--filter', `label=com.docker.compose.service=${options.service}`] : [])];
}

/**
 * A container's own HEALTHCHECK test (Docker's `Config.Healthcheck.Test`) as the argv Docker itself
 * runs in the container: `CMD` is an argv, `CMD-SHELL` a string for the image's shell
 * (`Config.Shell`, else `/bin/sh -c`). null for `NONE`, an inherited empty test, or a form Docker
 * does not define.
 */
export function healthcheckCommand(test: readonly string[] | null | undefined, shell?: readonly string[] | null): string[] | null {
  if (!test || test.length < 2) return null;
  if (test[0] === 'CMD') return test.slice(1);
  if (test[0] === 'CMD-SHELL' && test.length === 2) return [...(shell?.length ? shell : ['/bin/sh', '-c']), test[1]!];
  return null;
}

/** `docker exec <container> <test>`: the healthcheck test run through the docker CLI. */
export function healthcheckExecArgs(containerId: string, test: readonly string[] | null | undefined, shell?: readonly string[] | null): string[] | null {
  const command = healthcheckCommand(test, shell);
  return command ? ['exec', containerId, ...command] : null;
}
