import { failed, succeeded } from '../../ports/outcome.js';
import { judgeAgreement } from '../environment-agreement.js';
import type { RepairChoice } from '../repair-choice.js';
import type { StepExecutor } from './step-context.js';
import { observeServed, servedBy } from '../observe-served.js';
import { slotHolding, weightsForSlot } from '../traffic/slot-choice.js';

/**
 * `rewind repair`, step one: make the target itself consistent (the link names what every process
 * runs). Idempotent: after a crash it looks again and does only what is still needed.
 */
export const reconcile: StepExecutor = async (step, context) => {
  const { target, services, env, config } = context;
  const version = step.params.version as string;
  const action = step.params.action as RepairChoice['action'];
  const link = await target.activeVersion();
  if (action === 'activate') {
    const outcome = await target.activate(version);
    if (outcome.status !== 'succeeded') return outcome;
    // Behind a router, running the release is half of it: all traffic goes to the slot that holds it.
    if (config.traffic && target.slots) {
      const slots = await target.slots();
      const slot = slotHolding(slots, version);
      if (!slot) return failed(`${version} runs on no slot after its activation`, undefined, 'REWIND_E_ROLLBACK_FAILED');
      const router = services.createTrafficRouter(env, config);
      try {
        const switched = await router.setWeights(weightsForSlot(slots, slot.name, 100));
        if (switched.status !== 'succeeded') return switched;
      } finally {
        await router.close();
      }
    }
  } else if (action === 'relink' && link !== version) {
    if (!target.markActive) return failed(`the ${target.type} target cannot point its link without activating`, undefined, 'REWIND_E_INTERNAL');
    await target.markActive(version);
  }
  const now = judgeAgreement({ ledger: version, link: await target.activeVersion(), served: await observeServed(services, context, target), servedBy: servedBy(context, target) });
  if (!now.agree) return failed(`after ${action}: ${now.problems.join('; ')}`, { served: now.served });
  return succeeded(action === 'record' ? `the target already runs ${version}` : `${action === 'activate' ? 'activated' : 'pointed the link at'} ${version}; link and what serves agree`, { action, served: now.served });
};

/** Step two: the ledger records what serves; no release is left half-way in `deploying`, none that serves `superseded`. */
export const recordCurrent: StepExecutor = async (step, { ledger, env, now }) => {
  const version = step.params.version as string;
  await ledger.setCurrentVersion(env, version, now());
  const fixed: string[] = [];
  for (const release of await ledger.listReleases(env)) {
    if (release.version === version && (release.state === 'deploying' || release.state === 'registered')) {
      await ledger.setReleaseState(env, version, 'live', now());
      fixed.push(`${version}: ${release.state} → live`);
    } else if (release.version === version && release.state === 'superseded') {
      // Serving again is no new verdict, but its good one stands: the current release is good, not
      // superseded (a deploy of it is then "nothing to do", and the next good deploy supersedes it).
      await ledger.setReleaseState(env, version, 'good', now());
      fixed.push(`${version}: superseded → good`);
    } else if (release.version !== version && release.state === 'deploying') {
      await ledger.setReleaseState(env, release.version, 'failed', now());
      fixed.push(`${release.version}: deploying → failed`);
    }
  }
  return succeeded(`the ledger records ${version} as current${fixed.length ? ` (${fixed.join(', ')})` : ''}`, { version, previous: step.params.previous, fixed });
};
