import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { isRewindError } from '../../../errors/rewind-error.js';
import type { CommandSpec, Executor } from '../../../ports/executor.js';
import { failed, succeeded, type Outcome } from '../../../ports/outcome.js';
import type { ActivationCommands, Runtime, RuntimeContext } from '../../../ports/runtime.js';
import { noProgress, type ProgressReporter } from '../../../ports/step-progress.js';
import type { ActionDescription, FreeSpace, ReleaseArtifact, ServedProcess, Target, TargetCapabilities } from '../../../ports/target.js';
import { describeCommand } from '../../../exec/process-executor.js';
import { substituteArgv } from '../../../util/substitute-argv.js';
import { RELEASES_TARGET_TYPE } from '../releases/releases-config.js';
import { ReleasesTarget } from '../releases/releases-target.js';
import type { FleetRolloutConfig, FleetSshConfig } from './fleet-config.js';
import { healthUrlOf, rolloutBatches, waitHealthy } from './fleet-rollout.js';
import { freeSpaceArgv, installArgv, markerArgv, parseActivation, parseState, REMOTE_EXIT, removeArgv, stateArgv, switchAndActivateArgv, switchArgv, type ActivationLines, type HostState } from './remote-scripts.js';
import { connectionError, SSH_FAILED, SshConnection, type FleetHost } from './ssh-connection.js';

/** What the fleet target is built from (ssh-fleet-definition.ts resolves the config into this). */
export interface FleetSettings {
  hosts: FleetHost[];
  ssh: FleetSshConfig;
  rollout: FleetRolloutConfig;
  /** The runtime on one host: built with an executor whose commands run there. */
  runtimeOn(executor: Executor): Runtime;
  /** The runtime's `status` argv (command runtime), run on a host to tell whether its app runs; absent: servedVersions asks the runtime's servedDirs (PM2), else cannot tell. */
  status?: readonly string[];
  /** `release.stored` copies are unpacked here first (verified by the releases target's own rules), then tarred and uploaded. */
  executor: Executor;
}

/** What one host did during a rollout or a rollback, for the Outcome's detail and the journal. */
export interface HostReport {
  host: string;
  /** The release `current` named before (null: nothing). */
  previous: string | null;
  status: 'switched' | 'failed' | 'rolled back' | 'rollback failed' | 'not reached';
  message: string;
  /** Whether its link moved (a host that failed before that has nothing to put back). */
  touched: boolean;
  ms?: number;
}

/** A runtime the staging copy of the releases target is given: it is never asked to run anything. */
const NO_RUNTIME: Runtime = {
  type: 'none',
  supportsZeroDowntimeReload: false,
  describeActivate: () => ({ summary: 'nothing', commands: [], effects: [] }),
  activate: async () => failed('the staging copy runs nothing'),
  stop: async () => succeeded('nothing runs'),
  close: async () => undefined,
};

/**
 * The releases target on N hosts over SSH (Capistrano's and Kamal's model): on every host the same
 * `releases/<version>/` and `current` layout as the local releases target, and its runtime's argv
 * run there. prepare uploads and unpacks on every host; activate switches and restarts in batches,
 * health-checking each host before the next batch, and puts every host already switched back when
 * one fails. Every operation first connects to ALL hosts (host key checked, login done), so a host
 * that is unknown, changed or down is refused before anything changes on any host.
 */
export class SshFleetTarget implements Target {
  readonly type = RELEASES_TARGET_TYPE;
  readonly capabilities: TargetCapabilities;
  private readonly connections: SshConnection[] = [];
  private readonly runtimes = new Map<string, Runtime>();
  private controlDir: Promise<string> | null = null;

  constructor(
    private readonly settings: FleetSettings,
    capabilities: TargetCapabilities,
  ) {
    this.capabilities = capabilities;
  }

  get hosts(): readonly FleetHost[] {
    return this.settings.hosts;
  }

  private context(host: FleetHost, version: string): RuntimeContext {
    return { currentDir: join(host.root, 'current'), releaseDir: join(host.root, 'releases', version), version };
  }

  /** The connection to each host, in config order (argv builders work before any is opened). */
  private async connection(index: number): Promise<SshConnection> {
    // A private directory for the master sockets (made once, whoever asks first); short, since a socket path must stay under 108 bytes.
    this.controlDir ??= mkdtemp(join(tmpdir().length > 60 ? '/tmp' : tmpdir(), 'rw-ssh-'));
    const dir = await this.controlDir;
    let connection = this.connections[index];
    if (!connection) {
      connection = new SshConnection(this.settings.hosts[index]!, this.settings.ssh, join(dir, `h${index}`), this.settings.executor);
      this.connections[index] = connection;
    }
    return connection;
  }

  /** Connects to every host (in parallel): the first refusal, as a coded error naming the host, before anything changes. */
  private async connectAll(): Promise<SshConnection[]> {
    const all = await Promise.all(this.settings.hosts.map((_, i) => this.connection(i)));
    const results = await Promise.allSettled(all.map((c) => c.connect()));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (refused.length > 0) throw refused[0];
    return all;
  }

  /** Runs `work` after connecting to all hosts; a refused connection becomes a failed Outcome that changed nothing. */
  private async guarded(work: (connections: SshConnection[]) => Promise<Outcome>): Promise<Outcome> {
    let connections: SshConnection[];
    try {
      connections = await this.connectAll();
    } catch (error) {
      if (isRewindError(error)) return { ...failed(`${error.message}; nothing was changed on any host`, { ...error.details }, error.code), unchanged: true };
      throw error;
    }
    return work(connections);
  }

  private runtime(connection: SshConnection): Runtime {
    let runtime = this.runtimes.get(connection.host.name);
    if (!runtime) {
      runtime = this.settings.runtimeOn(connection.executorOnHost());
      this.runtimes.set(connection.host.name, runtime);
    }
    return runtime;
  }

  private async state(connection: SshConnection): Promise<HostState> {
    return parseState(await connection.output(stateArgv(connection.host.root), 'reading the releases'));
  }

  describePrepare(release: ReleaseArtifact): ActionDescription {
    const from = release.stored ?? release.artifact;
    const sample = new SshConnection(this.settings.hosts[0]!, this.settings.ssh, '<control socket>', this.settings.executor);
    return {
      summary: `upload ${release.version} to ${this.settings.hosts.length} host(s) (${this.names()}) and unpack it into releases/${release.version} on each`,
      commands: this.settings.hosts.map((host) => ({ argv: new SshConnection(host, this.settings.ssh, '<control socket>', this.settings.executor).commandArgv(markerArgv(host.root, release.version)) })),
      effects: [
        `connect to every host first (host keys checked against ${this.settings.ssh.knownHosts}); an unknown or unreachable host stops here, nothing changed`,
        `skip the hosts whose releases/${release.version}/.rewind-release.json records ${release.digest}`,
        `verify ${from} (${release.digest}) here, by the releases target's rules, in a temporary directory, and tar the verified tree`,
        `per host: ${describeCommand({ argv: sample.uploadArgv('<release>.tgz', `<root>/releases/.upload-${release.version}-*.tgz`) })}`,
        `per host: check the upload's sha256, extract into releases/.tmp-${release.version}-*, rename it to releases/${release.version}`,
      ],
    };
  }

  describeActivate(version: string): ActionDescription {
    const batches = rolloutBatches(this.settings.hosts, this.settings.rollout.batch);
    let oneTrip = false;
    const commands = this.settings.hosts.flatMap((host) => {
      const connection = new SshConnection(host, this.settings.ssh, '<control socket>', this.settings.executor);
      const runtime = this.settings.runtimeOn(connection.executorOnHost());
      const context = this.context(host, version);
      if (runtime.activationCommands && runtime.judgeActivation) {
        oneTrip = true;
        return [{ argv: connection.commandArgv(switchAndActivateArgv(host.root, version, activationLines(connection, runtime.activationCommands(context)))) }];
      }
      return [{ argv: connection.commandArgv(switchArgv(host.root, version)) }, ...runtime.describeActivate(context).commands.map((c) => ({ argv: connection.specArgv(c), timeoutMs: c.timeoutMs }))];
    });
    return {
      summary: `switch ${version} on ${this.settings.hosts.length} host(s) in ${batches.length} batch(es): ${batches.map((b) => b.map((h) => h.name).join(' + ')).join(', then ')}`,
      commands,
      effects: [
        'connect to every host first; an unknown or unreachable host stops here, nothing changed',
        oneTrip
          ? `per host, in one ssh round trip: symlink current.tmp-* -> releases/${version}, mv -T it over current, then the runtime's status there, then reload if it exits 0, else start`
          : `per host: symlink current.tmp-* -> releases/${version}, mv -T it over current, then the runtime's activate there`,
        ...batches.map((b, i) => `batch ${i + 1}: ${b.map((h) => `${h.name}${healthUrlOf(h, this.settings.rollout.healthUrl) ? ` (health ${healthUrlOf(h, this.settings.rollout.healthUrl)})` : ''}`).join(', ')}`),
        'a host that fails stops the rollout: every host switched so far goes back to what it ran before',
      ],
    };
  }

  prepare(release: ReleaseArtifact): Promise<Outcome> {
    return this.guarded(async (connections) => {
      const markers = await Promise.all(connections.map(async (c) => parseMarker(await c.output(markerArgv(c.host.root, release.version), 'reading the release marker'))));
      const conflict = connections.filter((_, i) => markers[i] && markers[i]!.digest !== release.digest);
      if (conflict.length > 0) {
        return { ...failed(`releases/${release.version} on ${conflict.map((c) => c.host.name).join(', ')} holds digest ${markers[connections.indexOf(conflict[0]!)]!.digest}, not the registered ${release.digest}`, { hosts: conflict.map((c) => c.host.name) }, 'REWIND_E_ARTIFACT_DIGEST_MISMATCH'), unchanged: true };
      }
      const missing = connections.filter((_, i) => !markers[i]);
      if (missing.length === 0) return succeeded(`${release.version} already unpacked on every host`, { reused: true, hosts: connections.map((c) => c.host.name) });
      const staging = await mkdtemp(join(tmpdir(), 'rw-fleet-'));
      try {
        // The same rules and digest check as a local releases target, on a copy here: what is uploaded was verified.
        const staged = await new ReleasesTarget(staging, NO_RUNTIME).prepare(release);
        if (staged.status !== 'succeeded') return { ...staged, unchanged: true };
        const archive = join(staging, 'release.tgz');
        await tar.c({ gzip: true, file: archive, cwd: join(staging, 'releases', release.version), portable: true }, ['.']);
        const sha256 = await fileSha256(archive);
        const results = await Promise.all(
          missing.map(async (c): Promise<string | null> => {
            const upload = `${c.host.root}/releases/.upload-${release.version}-${randomBytes(4).toString('hex')}.tgz`;
            const copied = await c.upload(archive, upload);
            if (copied.exitCode !== 0) return `${c.host.name}: upload failed (${copied.exitCode}): ${copied.stderr.trim().slice(-300)}`;
            const installed = await c.run(installArgv(c.host.root, release.version, upload, sha256));
            if (installed.exitCode === 0) return null;
            const why = installed.exitCode === REMOTE_EXIT.checksum ? 'the upload does not have the sha256 sent' : 'unpacking failed';
            return `${c.host.name}: ${why} (${installed.exitCode}): ${installed.stderr.trim().slice(-300)}`;
          }),
        );
        const problems = results.filter((r): r is string => r !== null);
        if (problems.length > 0) return failed(`${release.version} could not be installed on ${problems.length} host(s): ${problems.join('; ')}`, { hosts: missing.map((c) => c.host.name) }, 'REWIND_E_ARTIFACT_UNPACK');
        return succeeded(`${release.version} unpacked on ${missing.map((c) => c.host.name).join(', ')} (sha256 ${sha256} checked on each)`, { reused: false, tree: staged.detail?.tree ?? null, sha256, hosts: missing.map((c) => c.host.name) });
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
    });
  }

  /**
   * Switches `version` on every host, a batch at a time: the link (atomic per host), the runtime's
   * activate there, then the host's health URL, before the next batch. The first host that fails
   * stops the rollout and every host switched so far is put back on what it ran before (link and
   * runtime). Idempotent: a host already on `version` is activated again (its runtime starts it if stopped).
   */
  activate(version: string, progress: ProgressReporter = noProgress): Promise<Outcome> {
    return this.guarded(async (connections) => {
      const states = await Promise.all(connections.map((c) => this.state(c)));
      const lacking = connections.filter((_, i) => !states[i]!.installed.includes(version));
      if (lacking.length > 0) {
        return { ...failed(`${version} is not unpacked on ${lacking.map((c) => c.host.name).join(', ')}`, { hosts: lacking.map((c) => c.host.name) }, 'REWIND_E_ARTIFACT_NOT_FOUND'), unchanged: true };
      }
      const byName = new Map(connections.map((c, i) => [c.host.name, { connection: c, previous: states[i]!.link }]));
      const reports: HostReport[] = [];
      const batches = rolloutBatches(connections, this.settings.rollout.batch);
      for (const [index, batch] of batches.entries()) {
        const results = await Promise.all(batch.map((c) => this.switchHost(c, version, byName.get(c.host.name)!.previous)));
        reports.push(...results);
        await progress({ message: `batch ${index + 1}/${batches.length}: ${results.map((r) => `${r.host} ${r.status === 'switched' ? r.message : `FAILED: ${r.message}`}`).join('; ')}`, current: reports.length, total: connections.length });
        const bad = results.filter((r) => r.status === 'failed');
        if (bad.length === 0) continue;
        const untouched = batches.slice(index + 1).flat().map((c): HostReport => ({ host: c.host.name, previous: byName.get(c.host.name)!.previous, status: 'not reached', message: 'not reached: the rollout stopped', touched: false }));
        const restored = await Promise.all(reports.map((r) => (r.touched ? this.putBack(byName.get(r.host)!.connection, r) : r)));
        const all = [...restored, ...untouched];
        const clean = restored.every((r) => r.status === 'rolled back' || !r.touched);
        return {
          ...failed(
            `rollout of ${version} stopped at batch ${index + 1}/${batches.length}: ${bad.map((r) => `${r.host}: ${r.message}`).join('; ')}; ${clean ? 'every host switched was put back' : 'NOT every host could be put back'}: ${all.map((r) => `${r.host} ${r.status}`).join(', ')}`,
            { hosts: all, batches: batches.map((b) => b.map((c) => c.host.name)) },
            'REWIND_E_FLEET_HOST_FAILED',
          ),
          unchanged: clean,
        };
      }
      const switched = reports.filter((r) => r.previous !== version).length;
      return succeeded(`${version} active on ${reports.length} host(s) in ${batches.length} batch(es) (${switched} switched): ${reports.map((r) => `${r.host} ${r.message}`).join('; ')}`, {
        switched: switched > 0,
        hosts: reports,
        batches: batches.map((b) => b.map((c) => c.host.name)),
      });
    });
  }

  /** One host: link, runtime, health. A failure here has not been undone yet (putBack does it). */
  private async switchHost(connection: SshConnection, version: string, previous: string | null): Promise<HostReport> {
    const started = performance.now();
    const host = connection.host;
    let touched = false;
    const report = (status: HostReport['status'], message: string): HostReport => ({ host: host.name, previous, status, message, touched, ms: Math.round(performance.now() - started) });
    try {
      const switched = await this.linkAndActivate(connection, version);
      touched = switched.linked;
      if (switched.failure) return report('failed', switched.failure);
      const url = healthUrlOf(host, this.settings.rollout.healthUrl);
      if (url) {
        const unhealthy = await waitHealthy(url, this.settings.rollout.healthTimeoutMs);
        if (unhealthy) return report('failed', `unhealthy: ${unhealthy}`);
      }
      return report('switched', `on ${version}${url ? ', healthy' : ''}`);
    } catch (error) {
      return report('failed', (error as Error).message);
    }
  }

  /**
   * One host: `current` to `version`, then the runtime's activate there. When the runtime's activation
   * is fixed commands (the command runtime), all of it is one ssh round trip (switchAndActivateArgv)
   * instead of three (link, status, reload or start), each a new session on the host: what a fleet
   * rollout costs per host on a real network. `linked`: whether `current` was moved (the switch moves
   * it last, so a failure before that left it as it was).
   */
  private async linkAndActivate(connection: SshConnection, version: string): Promise<{ linked: boolean; failure: string | null }> {
    const host = connection.host;
    const runtime = this.runtime(connection);
    const context = this.context(host, version);
    if (runtime.activationCommands && runtime.judgeActivation) {
      const commands = runtime.activationCommands(context);
      // One deadline for the three: the switch's, the check's and the longer of reload and start.
      const within = (c: CommandSpec | undefined) => (c ? (c.timeoutMs ?? this.settings.ssh.commandTimeoutMs) : 0);
      const timeoutMs = this.settings.ssh.commandTimeoutMs + within(commands.check) + Math.max(within(commands.start), within(commands.reload));
      const result = await connection.runRaw(switchAndActivateArgv(host.root, version, activationLines(connection, commands)), timeoutMs);
      const said = parseActivation(result.stderr);
      if (!said.linked) {
        if (result.exitCode === SSH_FAILED) throw connectionError(host, result);
        return { linked: false, failure: `switching current ${result.timedOut ? `timed out after ${timeoutMs} ms` : `exited ${result.exitCode ?? result.signal}`}: ${said.stderr.trim().slice(-300)}` };
      }
      if (SshConnection.unreachable(result)) return { linked: true, failure: connectionError(host, result).message };
      if (!said.action) return { linked: true, failure: `the runtime's status ${result.timedOut ? `did not finish in ${timeoutMs} ms` : `stopped the activation (exit ${result.exitCode ?? result.signal})`}` };
      const outcome = runtime.judgeActivation(said.action === 'start' ? commands.start : commands.reload, said.action, { ...result, stderr: said.stderr });
      return { linked: true, failure: outcome.status === 'succeeded' ? null : outcome.message };
    }
    const linked = await connection.run(switchArgv(host.root, version));
    if (linked.exitCode !== 0) return { linked: false, failure: `switching current exited ${linked.exitCode}: ${linked.stderr.trim().slice(-300)}` };
    const outcome = await runtime.activate(context);
    return { linked: true, failure: outcome.status === 'succeeded' ? null : outcome.message };
  }

  /** Puts one host back on the release it ran before the rollout (or stops the app and removes `current` when it ran none). */
  private async putBack(connection: SshConnection, report: HostReport): Promise<HostReport> {
    const host = connection.host;
    const previous = report.previous?.split('/').pop() ?? null;
    try {
      if (previous) {
        const back = await this.linkAndActivate(connection, previous);
        if (!back.linked) return { ...report, status: 'rollback failed', message: `${report.message}; putting current back failed: ${back.failure}` };
        if (back.failure) return { ...report, status: 'rollback failed', message: `${report.message}; restarting ${previous} failed: ${back.failure}` };
        return { ...report, status: 'rolled back', message: `${report.message}; back on ${previous}` };
      }
      const linked = await connection.run(switchArgv(host.root, ''));
      if (linked.exitCode !== 0) return { ...report, status: 'rollback failed', message: `${report.message}; putting current back exited ${linked.exitCode}` };
      const runtime = await this.runtime(connection).stop(this.context(host, 'none'));
      if (runtime.status !== 'succeeded') return { ...report, status: 'rollback failed', message: `${report.message}; stopping the app failed: ${runtime.message}` };
      return { ...report, status: 'rolled back', message: `${report.message}; back on nothing` };
    } catch (error) {
      return { ...report, status: 'rollback failed', message: `${report.message}; putting it back failed: ${(error as Error).message}` };
    }
  }

  /** Stops the app on every host (in parallel); per host in the detail. Idempotent. */
  stop(): Promise<Outcome> {
    return this.guarded(async (connections) => {
      const results = await Promise.all(
        connections.map(async (c) => {
          const link = (await this.state(c)).link;
          const outcome = await this.runtime(c).stop(this.context(c.host, link ?? 'none'));
          return { host: c.host.name, status: outcome.status, message: outcome.message };
        }),
      );
      const bad = results.filter((r) => r.status !== 'succeeded');
      const message = results.map((r) => `${r.host}: ${r.message}`).join('; ');
      return bad.length > 0 ? failed(`stop failed on ${bad.map((r) => r.host).join(', ')}: ${message}`, { hosts: results }) : succeeded(message, { hosts: results });
    });
  }

  /** What every host's `current` names: the fleet's version when all agree; null when they do not (hostVersions says who runs what). */
  async activeVersion(): Promise<string | null> {
    const versions = await this.hostVersions();
    const distinct = new Set(versions.map((v) => v.version));
    return distinct.size === 1 ? versions[0]!.version : null;
  }

  /** The release each host's `current` names, per host (a fleet that disagrees shows here). */
  async hostVersions(): Promise<{ host: string; version: string | null }[]> {
    const connections = await this.connectAll();
    return Promise.all(connections.map(async (c) => ({ host: c.host.name, version: (await this.state(c)).link })));
  }

  /**
   * One entry per host whose app runs (the runtime's `status` argv exits 0 there), with the release
   * its `current` names and `where` = the host; null when the runtime has no status command.
   */
  async servedVersions(): Promise<ServedProcess[] | null> {
    const status = this.settings.status;
    if (!status) return this.servedByRuntime();
    const connections = await this.connectAll();
    const entries = await Promise.all(
      connections.map(async (c): Promise<ServedProcess | null> => {
        const link = (await this.state(c)).link;
        const context = this.context(c.host, link ?? 'none');
        const result = await c.executorOnHost().run({ argv: substituteArgv(status, context), cwd: link ? context.currentDir : undefined, timeoutMs: this.settings.ssh.commandTimeoutMs });
        return result.exitCode === 0 ? { version: link, where: c.host.name } : null;
      }),
    );
    return entries.filter((e): e is ServedProcess => e !== null);
  }

  /**
   * A runtime that can tell where its processes run (PM2 on the hosts): one entry per live process
   * on each host, with the release its directory is (`releases/<version>`) and `where` = the host.
   * Null when the runtime cannot tell, on any host.
   */
  private async servedByRuntime(): Promise<ServedProcess[] | null> {
    const connections = await this.connectAll();
    const perHost = await Promise.all(connections.map(async (c) => ({ host: c.host.name, dirs: (await this.runtime(c).servedDirs?.()) ?? null })));
    if (perHost.some((h) => h.dirs === null)) return null;
    return perHost.flatMap((h) => h.dirs!.map((dir) => ({ version: releaseOfHostDir(dir), where: h.host })));
  }

  /** The releases unpacked on every host (a release missing on one host cannot be activated on the fleet). */
  async installedVersions(): Promise<string[]> {
    const connections = await this.connectAll();
    const states = await Promise.all(connections.map((c) => this.state(c)));
    return states[0]!.installed.filter((v) => states.every((s) => s.installed.includes(v)));
  }

  async remove(version: string): Promise<void> {
    const connections = await this.connectAll();
    const states = await Promise.all(connections.map((c) => this.state(c)));
    const active = connections.filter((_, i) => states[i]!.link === version);
    if (active.length > 0) throw new Error(`refusing to remove ${version}: it is the active release on ${active.map((c) => c.host.name).join(', ')}`);
    for (const c of connections) await c.output(removeArgv(c.host.root, version), `removing ${version}`);
  }

  /** The host with the least room where releases are unpacked: its bytes and the path measured there. */
  async freeSpace(): Promise<FreeSpace> {
    const connections = await this.connectAll();
    const spaces = await Promise.all(
      connections.map(async (c) => {
        const [bytes, ...path] = (await c.output(freeSpaceArgv(c.host.root), 'measuring free space')).trim().split(' ');
        return { bytes: Number(bytes), path: path.join(' ') };
      }),
    );
    return spaces.reduce((least, s) => (s.bytes < least.bytes ? s : least));
  }

  /** Closes every master connection and removes their private directory. */
  async close(): Promise<void> {
    await Promise.all([...this.runtimes.values()].map((r) => r.close()));
    await Promise.all(this.connections.filter(Boolean).map((c) => c.close().catch(() => undefined)));
    if (this.controlDir) await rm(await this.controlDir, { recursive: true, force: true });
    this.controlDir = null;
    this.connections.length = 0;
  }

  private names(): string {
    return this.settings.hosts.map((h) => h.name).join(', ');
  }
}

/** The release a process on a host runs from, by its real directory (`…/releases/<version>`), or null. */
function releaseOfHostDir(dir: string): string | null {
  const parts = dir.split('/');
  const version = parts.at(-1) ?? '';
  return parts.at(-2) === 'releases' && version !== '' && !version.startsWith('.') ? version : null;
}

function parseMarker(stdout: string): { digest: string } | null {
  if (!stdout.trim()) return null;
  try {
    const marker = JSON.parse(stdout) as { digest?: unknown };
    return typeof marker.digest === 'string' ? { digest: marker.digest } : null;
  } catch {
    return null;
  }
}

/** A runtime's activation commands as the command lines the host's shell runs (what switchAndActivateArgv takes). */
function activationLines(connection: SshConnection, commands: ActivationCommands): ActivationLines {
  return {
    ...(commands.check ? { check: connection.remoteCommandLine(commands.check) } : {}),
    start: connection.remoteCommandLine(commands.start),
    reload: connection.remoteCommandLine(commands.reload),
  };
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
