import type { EnvironmentConfig, RewindConfig } from '../../config/config-schema.js';
import { dirname } from 'node:path';
import { loadKnownValidConfig, unknownEnvironment } from '../../config/known-valid-config.js';
import { observedReleasesTarget, observeReleasesTarget } from '../../adapters/targets/releases/releases-observer.js';
import { hasHosts } from '../../adapters/targets/ssh-fleet/ssh-fleet-name.js';
import type { ServedProcess } from '../../ports/target.js';
import { describeServed, judgeAgreement } from '../../core/environment-agreement.js';
import type { Ledger } from '../../ports/ledger.js';
import { ownValue } from '../../util/own-property.js';
import { styleOf, writeLine, type CliIo } from '../cli-io.js';
import { parseCommandArgs, type ParsedArgs } from '../parse-args.js';
import { lastKnownGoodNote } from '../last-known-good-note.js';
import { resolveEnvironment } from '../environment-argument.js';
import { toJson } from '../../util/iso-times.js';
import { latestRollbackChecklist } from './status-checklist.js';
import { drillLines, drillStatus } from './status-drills.js';

export const usage = 'rewind status [<env>] [--json]';
export const help = `${usage}

Show what an environment runs: the current release and its state, what really serves (the
release each process of the app runs from), the last known good release a rollback would return
to (or why there is none: right after a rollback the current release is often the newest good
one), the lock, the last operation, and any unfinished operation to resume. Times are ISO 8601 UTC.
It warns when the last passing rollback drill is older than drills.maxAgeDays (90 by default) or
there was none, and says whether the newest backup is trusted: only a backup a database drill
restored and checked is (\`rewind drill <env> --database\`, docs/drills.md).

The ledger, the target's \`current\` link and the serving processes must name the same release.
When they do not (a crash or a hand-run command in between), status says so line by line and
names the command that reconciles them: \`rewind resume\` when an operation is unfinished,
\`rewind repair\` otherwise.
With blue-green or canary (\`traffic:\`), also what each slot holds, whether it runs, and its share
of traffic as the router reports it.

<env> may be left out when rewind.yaml defines a single environment: that one is used (named on
stderr); with several, leaving it out is REWIND_E_USAGE naming them.`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, {}, { min: 0, max: 1, usage });
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const context = await openStatusContext(args, io, args.positionals[0]);
  const { env } = context;
  try {
    const { ledger } = context;
    const environment = await ledger.getEnvironment(env);
    const current = environment?.currentVersion ? await ledger.getRelease(env, environment.currentVersion) : undefined;
    const [lkg, lock, operations, unfinished] = await Promise.all([
      ledger.findLastKnownGood(env, environment?.currentVersion ?? null),
      ledger.getLock(env),
      ledger.listOperations(env, { limit: 1 }),
      ledger.findRunningOperations(env),
    ]);
    const last = operations[0];
    // Only when there is no LKG: why not, relative to the current release (reads the release list, which status otherwise skips).
    const lkgNote = lkg ? null : lastKnownGoodNote(env, current, lkg, current ? await ledger.listReleases(env, { limit: 100 }) : []);
    const seen = await context.observe();
    // Behind a router, what serves is the slots taking traffic, as the router reports it.
    const slots = context.hasTraffic ? await readSlots(env, await context.fullConfig()) : undefined;
    const served = slots ? (slots.some((s) => s.trafficPercent === null) ? null : slots.filter((s) => s.trafficPercent! > 0).map((s) => ({ version: s.version, where: `slot ${s.name} (${s.trafficPercent} % of traffic)` }))) : seen.served;
    const agreement = judgeAgreement({ ledger: environment?.currentVersion ?? null, link: seen.link, served, servedBy: slots ? 'slots' : 'processes' });
    const status = {
      env,
      current: current ? { version: current.version, state: current.state, ci: current.ci, commit: current.commit, digest: current.digest } : null,
      lastKnownGood: lkg ? { version: lkg.version, ci: lkg.ci, goodSeq: lkg.goodSeq } : null,
      lastKnownGoodNote: lkgNote,
      lock: lock ? { holder: lock.holder, pid: lock.pid, host: lock.host, operationId: lock.operationId, expiresAt: new Date(lock.expiresAt).toISOString() } : null,
      lastOperation: last
        ? { id: last.id, kind: last.kind, from: last.fromVersion, to: last.toVersion, state: last.state, startedAt: new Date(last.startedAt).toISOString(), durationMs: last.finishedAt ? last.finishedAt - last.startedAt : null }
        : null,
      target: { link: seen.link, served: agreement.served, ...(seen.revisions ? { revisions: seen.revisions } : {}) },
      agreement: { agree: agreement.agree, problems: agreement.problems, fix: agreement.agree ? null : unfinished.length ? `rewind resume ${env}` : `rewind repair ${env}` },
      unfinished: unfinished.map((op) => ({ id: op.id, kind: op.kind, from: op.fromVersion, to: op.toVersion })),
      checklist: await latestRollbackChecklist(ledger, env, async () => (await context.fullConfig()).config),
      ...(slots ? { slots } : {}),
      ...(await drillStatus(ledger, env, context.drillMaxAgeDays, Date.now())),
    };
    if (args.flag('json')) {
      writeLine(io.stdout, toJson(status));
      return 0;
    }
    writeLine(io.stdout, `environment     ${env}`);
    writeLine(io.stdout, `current         ${current ? `${current.version} (${current.state}, CI ${current.ci}${current.commit ? `, ${current.commit.slice(0, 12)}` : ''})` : 'nothing deployed'}`);
    if (!context.hasTraffic) writeLine(io.stdout, `served          ${describeServed(agreement.served)}`);
    // Kubernetes: which revision each release rolled out as (kubectl rollout history numbers them so).
    for (const [version, revisions] of Object.entries(seen.revisions ?? {})) writeLine(io.stdout, `revisions       ${version}: ${Object.entries(revisions).map(([object, revision]) => `${object} #${revision}`).join(', ')}`);
    writeLine(io.stdout, `last known good ${lkg ? `${lkg.version} — \`rewind rollback ${env}\` returns here` : `none — ${lkgNote}`}`);
    writeLine(io.stdout, `lock            ${lock ? `held by ${lock.holder} (pid ${lock.pid}, ${lock.operationId ?? 'no operation'}) until ${new Date(lock.expiresAt).toISOString()}` : 'free'}`);
    if (last) {
      writeLine(io.stdout, `last operation  ${last.kind} ${last.fromVersion ?? 'none'} → ${last.toVersion}: ${last.state} at ${new Date(last.startedAt).toISOString()}${status.lastOperation?.durationMs != null ? ` (${status.lastOperation.durationMs} ms)` : ''}`);
    }
    for (const slot of status.slots ?? []) {
      const share = slot.trafficPercent === null ? 'traffic unknown' : `${slot.trafficPercent} % of traffic`;
      writeLine(io.stdout, `slot ${slot.name.padEnd(10)} ${slot.version ?? 'empty'} on ${slot.host !== undefined ? `${slot.host}:${slot.port}` : `its own service`}, ${slot.online ? 'running' : 'stopped'}, ${share}`);
    }
    if (status.slots?.some((s) => s.error)) writeLine(io.stdout, `router          ${status.slots.find((s) => s.error)!.error}`);
    const style = styleOf(io);
    for (const op of unfinished) writeLine(io.stdout, `${style.warn('unfinished')}      ${op.kind} ${op.fromVersion ?? 'none'} → ${op.toVersion} (${op.id}): run \`rewind resume ${env}\``);
    for (const problem of agreement.problems) writeLine(io.stdout, `${style.bad('DISAGREEMENT')}    ${problem}`);
    if (!agreement.agree) writeLine(io.stdout, `                run \`${status.agreement.fix}\` to reconcile from what really serves`);
    for (const line of drillLines(status, env, style)) writeLine(io.stdout, line);
    if (status.checklist) writeLine(io.stdout, `checklist       ${status.checklist.open.length} open for rollback ${status.checklist.operationId}${status.checklist.incidentId !== null ? ` (incident #${status.checklist.incidentId})` : ''}${status.checklist.open.length ? `: ${status.checklist.open.join(', ')} — \`rewind checklist show ${status.checklist.operationId}\`` : ''}`);
    return 0;
  } finally {
    await context.close();
  }
}

interface StatusContext {
  env: string;
  ledger: Ledger;
  hasTraffic: boolean;
  drillMaxAgeDays: number;
  /** What the target runs: its own record of the active release (`current`, compose pins) and the live processes. */
  observe(): Promise<{ link: string | null; served: ServedProcess[] | null; revisions?: Record<string, Record<string, string>> }>;
  /** The validated config and this environment's part of it (loads the schema): only for the slots. */
  fullConfig(): Promise<{ config: RewindConfig; environment: EnvironmentConfig }>;
  close(): Promise<void>;
}

/**
 * Status is the command people run most, so it starts fast: when this exact config was validated
 * before (known-valid-config.ts), it reads the ledger location without loading the schema library;
 * otherwise it validates in full, like every other command.
 */
async function openStatusContext(args: ParsedArgs, io: CliIo, given: string | undefined): Promise<StatusContext> {
  const [{ resolveConfigPath }, { openLedger }] = await Promise.all([import('../../config/config-path.js'), import('../../ledger/open-ledger.js')]);
  const path = resolveConfigPath(args.string('config'), io.env);
  const known = loadKnownValidConfig(path, io.env);
  if (known) {
    const env = resolveEnvironment(given, Object.keys(known.environments), io, usage);
    const environment = ownValue(known.environments, env);
    if (!environment) throw unknownEnvironment(env, Object.keys(known.environments));
    const ledger = await openLedger(known.ledger);
    const fullConfig = async () => {
      const { loadConfig, environmentConfig } = await import('../../config/load-config.js');
      const { config } = loadConfig(path, io.env);
      return { config, environment: environmentConfig(config, env) };
    };
    const observe = readsLocally(environment.target) ? fastObserver(environment.target as Parameters<typeof observedReleasesTarget>[0], dirname(path), io.env) : () => observeThroughTarget(env, fullConfig);
    return { env, ledger, hasTraffic: environment.traffic, drillMaxAgeDays: known.drillMaxAgeDays, observe, fullConfig, close: () => ledger.close() };
  }
  const { loadConfig, environmentConfig } = await import('../../config/load-config.js');
  const { config } = loadConfig(path, io.env);
  const env = resolveEnvironment(given, Object.keys(config.environments), io, usage);
  const envConfig = environmentConfig(config, env);
  const ledger = await openLedger(config.ledger);
  const fullConfig = async () => ({ config, environment: envConfig });
  const observe = readsLocally(envConfig.target) ? fastObserver(envConfig.target, dirname(path), io.env) : () => observeThroughTarget(env, fullConfig);
  return { env, ledger, hasTraffic: envConfig.traffic !== undefined, drillMaxAgeDays: config.drills.maxAgeDays, observe, fullConfig, close: () => ledger.close() };
}

/** A releases target on this machine is read from its files; a fleet's `current` links are on its hosts (asked over ssh, through the adapter). */
function readsLocally<T extends { type: string; hosts?: unknown }>(target: T): target is Extract<T, { type: 'releases' }> {
  return target.type === 'releases' && !hasHosts(target);
}

/** A releases target is read from its files alone (the `current` link, PM2's process files): no adapter loaded. */
function fastObserver(target: Parameters<typeof observedReleasesTarget>[0], baseDir: string, env: NodeJS.ProcessEnv) {
  const observed = observedReleasesTarget(target, baseDir, env);
  return async () => observeReleasesTarget(observed);
}

/** Other targets (compose: its pins and `docker inspect`; a fleet: each host over ssh, an unreachable host an error) are asked through their adapter. */
async function observeThroughTarget(env: string, fullConfig: StatusContext['fullConfig']): ReturnType<StatusContext['observe']> {
  const { config, environment } = await fullConfig();
  const { composeSlotReaders } = await import('../../app/compose-services.js');
  const target = (await composeSlotReaders(config)).createTarget(env, environment);
  try {
    const revisions = await target.platformRevisions?.();
    return { link: await target.activeVersion(), served: (await target.servedVersions?.()) ?? null, ...(revisions ? { revisions } : {}) };
  } finally {
    await target.close();
  }
}

/** The slots as the target and the router see them; loaded only for environments with `traffic:`, so plain `status` stays fast. */
async function readSlots(env: string, { config, environment }: { config: RewindConfig; environment: EnvironmentConfig }) {
  const [{ composeSlotReaders }, { slotShare }] = await Promise.all([import('../../app/compose-services.js'), import('../../core/traffic/slot-choice.js')]);
  const { createTarget, createTrafficRouter } = await composeSlotReaders(config);
  const target = createTarget(env, environment);
  const router = createTrafficRouter(env, environment);
  try {
    const slots = (await target.slots?.()) ?? [];
    let weights: Awaited<ReturnType<typeof router.currentWeights>> | null = null;
    let error: string | undefined;
    try {
      weights = await router.currentWeights();
    } catch (e) {
      error = `cannot read the ${router.type} split: ${(e as Error).message}`;
    }
    return slots.map((slot) => ({ ...slot, trafficPercent: weights ? slotShare(slots, slot.name, weights) : null, ...(error ? { error } : {}) }));
  } finally {
    await router.close();
    await target.close();
  }
}
