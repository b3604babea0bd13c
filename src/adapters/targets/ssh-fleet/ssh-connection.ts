import type { CommandResult, CommandSpec, Executor } from '../../../ports/executor.js';
import { RewindError } from '../../../errors/rewind-error.js';
import type { FleetSshConfig } from './fleet-config.js';
import { quoteArgv } from './shell-quote.js';

/** One host as the fleet target reaches it (config resolved: name, user, root). */
export interface FleetHost {
  /** How reports name it. */
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly user?: string;
  /** Its deploy root (releases/, current). */
  readonly root: string;
  readonly healthUrl?: string;
}

/** ssh's own exit code for "the connection failed" (a remote command's code is passed through otherwise). */
export const SSH_FAILED = 255;

/**
 * The OpenSSH client (`ssh`, `scp`) for one host, as argv arrays through the Executor port. Options
 * are always on the command line, so they win over the user's ~/.ssh/config (which still supplies
 * what rewind does not set, such as ProxyJump):
 * - BatchMode=yes, no password or keyboard-interactive: a prompt would hang an unattended rewind,
 *   and a password would have to live somewhere; keys come from `identityFile` or the agent.
 * - StrictHostKeyChecking=yes against the configured known_hosts only (the global file is not
 *   read), or accept-new when the config says so explicitly.
 * - One master connection per host per operation (ControlMaster, a socket in a private directory),
 *   opened by `connect()` before anything changes anywhere, reused by every later command, closed
 *   by `close()`; ControlPersist bounds how long a master outlives a rewind that died.
 */
export class SshConnection {
  private connected = false;

  constructor(
    readonly host: FleetHost,
    private readonly ssh: FleetSshConfig,
    /** The master's socket: short, in a private directory (a unix socket path must stay under 108 bytes). */
    private readonly controlPath: string,
    private readonly executor: Executor,
  ) {}

  /** The options every ssh and scp call gets (scp takes the same `-o` options). */
  options(): string[] {
    const o = (option: string) => ['-o', option];
    return [
      ...o('BatchMode=yes'),
      ...o('PasswordAuthentication=no'),
      ...o('KbdInteractiveAuthentication=no'),
      ...o(`StrictHostKeyChecking=${this.ssh.hostKeyPolicy === 'accept-new' ? 'accept-new' : 'yes'}`),
      ...o(`UserKnownHostsFile=${this.ssh.knownHosts}`),
      ...o('GlobalKnownHostsFile=/dev/null'),
      ...o('UpdateHostKeys=no'),
      ...o(`ConnectTimeout=${this.ssh.connectTimeoutSec}`),
      ...o('ServerAliveInterval=5'),
      ...o('ServerAliveCountMax=3'),
      ...o('LogLevel=ERROR'),
      ...(this.ssh.identityFile ? [...o('IdentitiesOnly=yes'), ...o(`IdentityFile=${this.ssh.identityFile}`)] : []),
      ...o(`Port=${this.host.port}`),
      ...(this.host.user ? o(`User=${this.host.user}`) : []),
      ...o(`ControlPath=${this.controlPath}`),
    ];
  }

  /** The argv that runs `argv` on the host, every element quoted for the remote shell (shell-quote.ts). */
  commandArgv(argv: readonly string[]): string[] {
    return ['ssh', ...this.options(), '-o', 'ControlMaster=no', '--', this.host.address, quoteArgv(argv)];
  }

  /** The argv that copies a local file to `remotePath` (scp over the SFTP protocol: the remote path is not parsed by a shell). */
  uploadArgv(localPath: string, remotePath: string): string[] {
    // An IPv6 address is bracketed, or scp would read its colons as the host:path separator.
    const address = this.host.address.includes(':') ? `[${this.host.address}]` : this.host.address;
    return ['scp', '-q', ...this.options(), '-o', 'ControlMaster=no', '--', localPath, `${address}:${remotePath}`];
  }

  /**
   * Opens the master connection: verifies the host key and logs in, or throws a coded error naming
   * the host. Runs before anything changes on any host (the fleet target connects to all first).
   * `-f -N`: ssh returns once authenticated and leaves the master in the background with its
   * standard streams on /dev/null (so the executor's pipes close).
   */
  async connect(): Promise<void> {
    if (this.connected) return;
    const result = await this.executor.run({
      argv: ['ssh', ...this.options(), '-o', 'ControlMaster=yes', '-o', 'ControlPersist=300', '-N', '-f', '--', this.host.address],
      timeoutMs: (this.ssh.connectTimeoutSec + 20) * 1000,
    });
    if (result.exitCode !== 0) throw connectionError(this.host, result);
    this.connected = true;
  }

  /** Runs `argv` on the host; a failed connection is a coded error, a command's own failure is its result. */
  async run(argv: readonly string[], timeoutMs = this.ssh.commandTimeoutMs): Promise<CommandResult> {
    const result = await this.executor.run({ argv: this.commandArgv(argv), timeoutMs });
    if (result.exitCode === SSH_FAILED) throw connectionError(this.host, result);
    return result;
  }

  /** Runs `argv` on the host and returns what happened, a failed connection included (the caller tells it apart). */
  async runRaw(argv: readonly string[], timeoutMs: number): Promise<CommandResult> {
    return this.executor.run({ argv: this.commandArgv(argv), timeoutMs });
  }

  /** Whether a result is ssh failing to reach the host rather than the command failing there. */
  static unreachable(result: CommandResult): boolean {
    return result.exitCode === SSH_FAILED && isConnectionFailure(result.stderr);
  }

  /** Runs `argv` and returns its stdout, or throws a coded error with its stderr. */
  async output(argv: readonly string[], what: string): Promise<string> {
    const result = await this.run(argv);
    if (result.exitCode !== 0) {
      throw new RewindError('REWIND_E_COMMAND_FAILED', `${what} on ${this.host.name} exited ${result.exitCode ?? result.signal}: ${result.stderr.trim().slice(-500)}`, { host: this.host.name });
    }
    return result.stdout;
  }

  async upload(localPath: string, remotePath: string): Promise<CommandResult> {
    const result = await this.executor.run({ argv: this.uploadArgv(localPath, remotePath), timeoutMs: this.ssh.commandTimeoutMs });
    if (SshConnection.unreachable(result)) throw connectionError(this.host, result);
    return result;
  }

  /** Closes the master connection (`ssh -O exit`); a master that is already gone is fine. */
  async close(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.executor.run({ argv: ['ssh', ...this.options(), '-O', 'exit', '--', this.host.address], timeoutMs: 10_000 });
  }

  /** A Executor whose commands run on this host (what the runtime is given): cwd and env become part of the remote command. */
  executorOnHost(): Executor {
    return { run: (command) => this.runSpec(command) };
  }

  private async runSpec(command: CommandSpec): Promise<CommandResult> {
    const result = await this.executor.run({ argv: this.specArgv(command), timeoutMs: command.timeoutMs ?? this.ssh.commandTimeoutMs });
    if (SshConnection.unreachable(result)) throw connectionError(this.host, result);
    return result;
  }

  /** The ssh argv that runs a runtime's command on the host (what executorOnHost runs, and what plans show). */
  specArgv(command: CommandSpec): string[] {
    return ['ssh', ...this.options(), '-o', 'ControlMaster=no', '--', this.host.address, this.remoteCommandLine(command)];
  }

  /** A runtime's command as the command line the host's shell runs: `cd DIR && exec env K=V argv...`, every element quoted. */
  remoteCommandLine(command: CommandSpec): string {
    const env = Object.entries(command.env ?? {}).map(([key, value]) => {
      // A secret reference is resolved by the local executor into the local environment; ssh would
      // have to put its value on a command line on the host, which rewind never does.
      if (typeof value !== 'string') throw new RewindError('REWIND_E_CONFIG_INVALID', `the runtime of a fleet cannot hand ${key} to a command on ${this.host.name}: secrets are not sent over ssh`);
      return `${key}=${value}`;
    });
    // `cd DIR && exec env K=V argv...`: each element quoted; && and exec are rewind's own words.
    const argv = env.length > 0 ? ['env', ...env, ...command.argv] : [...command.argv];
    return command.cwd ? `cd ${quoteArgv([command.cwd])} && exec ${quoteArgv(argv)}` : quoteArgv(argv);
  }
}

const HOST_KEY_FAILURE = /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No [A-Z0-9-]+ host key is known|host key for .* has changed/i;
const CONNECTION_FAILURE = /Connection refused|Connection timed out|timed out|Could not resolve|No route to host|Permission denied|Connection closed|Connection reset|broken pipe|lost connection|kex_exchange|Host key verification failed|mux_client|Control socket connect/i;

function isConnectionFailure(stderr: string): boolean {
  return CONNECTION_FAILURE.test(stderr) || HOST_KEY_FAILURE.test(stderr);
}

/** What ssh's failure means, as a coded error naming the host (stderr is ssh's own, never a secret: rewind passes none). */
export function connectionError(host: FleetHost, result: CommandResult): RewindError {
  const said = result.timedOut ? 'timed out' : result.stderr.trim().split('\n').filter((line) => !line.startsWith('@')).slice(-3).join(' ') || `ssh exited ${result.exitCode ?? result.signal}`;
  const where = `${host.name} (${host.address} port ${host.port})`;
  if (HOST_KEY_FAILURE.test(result.stderr)) {
    return new RewindError('REWIND_E_SSH_HOST_KEY', `host key of ${where} is not the one in known_hosts: ${said}`, { host: host.name });
  }
  return new RewindError('REWIND_E_SSH_UNREACHABLE', `cannot reach ${where} over ssh: ${said}`, { host: host.name });
}
