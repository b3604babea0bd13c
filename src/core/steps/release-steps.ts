import type { ErrorCode } from '../../errors/error-registry.js';
import { failed, succeeded, type Outcome } from '../../ports/outcome.js';
import type { ReleaseRecord } from '../../ports/ledger.js';
import type { ReleaseArtifact } from '../../ports/target.js';
import { recordLiveSchema } from './database-steps.js';
import { slotAddress, urlOnSlot } from '../traffic/slot-choice.js';
import type { StepExecutor } from './step-context.js';
import { artifactNeeds, protectedByLedger, pruneReason, retentionOrder } from '../release-retention.js';
import { pruneArtifactStore, type StorePrune } from '../stored-artifacts.js';

export const prepare: StepExecutor = async (step, { target }) => target.prepare(step.params as unknown as ReleaseArtifact);

/** Switches the target to the release and records it as current once it serves. */
export const activate: StepExecutor = async (step, { target, ledger, env, now, progress }) => {
  const version = step.params.version as string;
  if (step.params.mode === 'deploy') await ledger.setReleaseState(env, version, 'deploying', now());
  let outcome: Outcome;
  try {
    outcome = await target.activate(version, progress);
  } catch (error) {
    outcome = failed(`activation of ${version} failed: ${(error as Error).message}`);
  }
  if (outcome.status !== 'succeeded') return outcome;
  await ledger.setCurrentVersion(env, version, now());
  // A restore starts the running release again after the database came back: its state stands.
  if (step.params.mode !== 'restore') await ledger.setReleaseState(env, version, 'live', now());
  return outcome;
};

/** After activation, or (with a slot) on the new release's own port before any traffic reaches it. */
export const health: StepExecutor = async (step, { probeHealth, config, services, progress }) => {
  const version = step.params.version as string;
  const slot = step.params.slot as { host?: string; port?: number } | undefined;
  if (slot && config.health) {
    const address = slotAddress(slot);
    // Plans give a slot without an address no probe of its own; through the router it would reach the other slot.
    if (!address) return failed(`slot ${JSON.stringify(step.params.slot)} has no address to probe ${version} on`, undefined, 'REWIND_E_CONFIG_INVALID');
    return services.checkHealth({ ...config.health, url: urlOnSlot(config.health.url, address) }, version, progress);
  }
  return probeHealth(version, progress);
};

/** The smoke suite (sign-up and sign-in, create/read/delete, internal health), after every activation and rollback. */
export const smoke: StepExecutor = async (step, { config, services, progress }) => {
  if (!config.smoke) return succeeded('no smoke suite configured');
  try {
    return await services.runSmoke(config.smoke, step.params.version as string, progress);
  } catch (error) {
    // A suite that cannot be loaded is bad input, not a failing app: report it as such.
    return failed(`smoke suite ${config.smoke.suite}: ${(error as Error).message}`, undefined, (error as { code?: ErrorCode }).code);
  }
};

/** The release passed its checks: it becomes good and the release it replaced is superseded. */
export const markGood: StepExecutor = async (step, { ledger, env, now }) => {
  const version = step.params.version as string;
  const previous = step.params.previous as string | null;
  await ledger.markReleaseGood(env, version, now());
  if (previous && previous !== version) {
    const prior = await ledger.getRelease(env, previous);
    if (prior?.state === 'good') await ledger.setReleaseState(env, previous, 'superseded', now());
  }
  const marked = await ledger.getRelease(env, version);
  return succeeded(`${version} is good (#${marked?.goodSeq})`, { goodSeq: marked?.goodSeq });
};

/**
 * Keeps `keep` release directories by the retention policy (release-retention.ts): rollback targets
 * (good, superseded) before failed, rolled-back and never-deployed releases, newest by registration
 * sequence (never by file times) within each. The current release, the last known good one, what
 * `current` or a slot points at, and any release an unfinished operation names are kept whatever
 * their rank; directories the ledger does not know are left alone. Then drops the artifact store
 * entries no release needs any more. The message says what was removed and why.
 */
export const prune: StepExecutor = async (step, { ledger, target, env, services }) => {
  const keep = step.params.keep as number;
  // Look up only what is installed (a handful of directories), not the whole release list: with
  // 100k releases listing them cost half a second on every deploy (docs/benchmarks.md).
  const known: ReleaseRecord[] = [];
  for (const version of await target.installedVersions()) {
    const release = await ledger.getRelease(env, version);
    if (release) known.push(release);
  }
  const { versions: protectedVersions } = await protectedByLedger(ledger, env);
  const active = await target.activeVersion();
  if (active) protectedVersions.add(active);
  // A release a slot runs stays on disk: it is the warm one a rollback switches back to.
  for (const slot of (await target.slots?.()) ?? []) if (slot.version) protectedVersions.add(slot.version);
  const ranked = known.sort(retentionOrder);
  const removed: { version: string; why: string }[] = [];
  ranked.forEach((release, index) => {
    if (index >= keep && !protectedVersions.has(release.version)) removed.push({ version: release.version, why: pruneReason(release, keep) });
  });
  for (const { version } of removed) await target.remove(version);

  let store: StorePrune | { error: string };
  try {
    const here = await artifactNeeds(ledger, env, keep, protectedVersions);
    store = await pruneArtifactStore({ ledger, config: services.config, env, here });
  } catch (error) {
    // The deploy succeeded; a store that cannot be pruned now is pruned by a later deploy.
    store = { error: (error as Error).message };
  }
  const parts = [removed.length ? `removed ${removed.map((r) => `${r.version} (${r.why})`).join(', ')}` : 'nothing to prune'];
  if ('error' in store) parts.push(`the artifact store was not pruned: ${store.error}`);
  else if (store.dropped.length) parts.push(`dropped ${store.dropped.length} stored artifact${store.dropped.length === 1 ? '' : 's'} no release needs`);
  return succeeded(parts.join('; '), {
    removed: removed.map((r) => r.version),
    reasons: Object.fromEntries(removed.map((r) => [r.version, r.why])),
    kept: ranked.length - removed.length,
    protected: [...protectedVersions],
    store,
  });
};

export const rollbackStart: StepExecutor = async (step, { ledger, env }) => {
  const to = step.params.to as string;
  const release = await ledger.getRelease(env, to);
  if (!release) return failed(`release ${to} is no longer in the ledger`, undefined, 'REWIND_E_RELEASE_NOT_FOUND');
  return succeeded(`rolling back ${step.params.from ?? 'nothing'} → ${to}`, { from: step.params.from, to });
};

/** The rolled-back-to release is current and good again; the one rolled back from is marked so. */
export const rollbackComplete: StepExecutor = async (step, context) => {
  const { ledger, env, now } = context;
  const to = step.params.to as string;
  const from = step.params.from as string | null;
  await ledger.markReleaseGood(env, to, now());
  // The LKG now runs on this schema (restored, or left with additive migrations): drift is judged against it from here on.
  if (context.config.database) {
    try {
      await recordLiveSchema(context, to);
    } catch (error) {
      return succeeded(`${to} is current and good (its schema could not be recorded: ${(error as Error).message})`, { from, to });
    }
  }
  if (from && from !== to) {
    const prior = await ledger.getRelease(env, from);
    // A release whose deploy failed stays `failed`; one that had been serving becomes `rolled-back`.
    if (prior && ['live', 'good', 'deploying', 'superseded'].includes(prior.state)) await ledger.setReleaseState(env, from, 'rolled-back', now());
  }
  return succeeded(`${to} is current and good`, { from, to });
};
