import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readdir } from 'node:fs/promises';
import { failed, succeeded } from '../../ports/outcome.js';
import type { StepExecutor } from './step-context.js';
import { judgeAgreement } from '../environment-agreement.js';
import { observeServed, servedBy } from '../observe-served.js';

/**
 * Seed 000 preflight 1: record the running release and commit, and check that the ledger, the
 * target's link and the serving processes agree (a stopped app is not a disagreement: baseline
 * health judges that). A plan built on a wrong record would roll back to the wrong place.
 */
export const recordRunning: StepExecutor = async (step, context) => {
  const { target, ledger, env, services } = context;
  const expected = step.params.expected as string | null;
  const active = await target.activeVersion();
  const agreement = judgeAgreement({ ledger: expected, link: active, served: await observeServed(services, context, target), servedBy: servedBy(context, target) });
  if (!agreement.agree && !agreement.onlyDown) {
    return failed(`${agreement.problems.join('; ')}: something changed outside rewind or an earlier operation was cut short — run \`rewind repair ${env}\` (it reconciles the ledger and the link from what really serves), then deploy again`, {
      active,
      expected,
      served: agreement.served,
    }, 'REWIND_E_PREFLIGHT_FAILED');
  }
  const release = expected ? await ledger.getRelease(env, expected) : undefined;
  return succeeded(expected ? `running ${expected}${release?.commit ? ` @ ${release.commit}` : ''}` : 'nothing running yet', {
    version: expected,
    commit: release?.commit ?? null,
  });
};

async function bytesOf(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    total += entry.isDirectory() ? await bytesOf(full) : (await stat(full)).size;
  }
  return total;
}

/** Seed 000 preflight 4: room for the unpacked artifact plus the configured margin. */
export const diskSpace: StepExecutor = async (step, { target }) => {
  // What prepare will unpack: rewind's stored copy when there is one, else the registered path.
  const sources = [step.params.stored as string | undefined, step.params.artifact as string].filter((path): path is string => path !== undefined);
  const minFree = (step.params.minFreeMb as number) * 1024 * 1024;
  let size = 0;
  for (const artifact of sources) {
    try {
      const info = await stat(artifact);
      // A tarball unpacks to more than its compressed size; three times is a conservative estimate.
      size = info.isDirectory() ? await bytesOf(artifact) : info.size * 3;
      break;
    } catch {
      size = 0; // gone: the prepare step decides whether the unpacked copy suffices
    }
  }
  const free = await target.freeSpace();
  const needed = size + minFree;
  const detail = { freeMb: Math.floor(free.bytes / 1048576), neededMb: Math.ceil(needed / 1048576), path: free.path };
  if (free.bytes < needed) return failed(`only ${detail.freeMb} MB free on ${free.path}, ${detail.neededMb} MB needed`, detail, 'REWIND_E_PREFLIGHT_FAILED');
  return succeeded(`${detail.freeMb} MB free on ${free.path}, ${detail.neededMb} MB needed`, detail);
};

/** Seed 000 preflight 5: the running release answers its health check before anything changes. */
export const baselineHealth: StepExecutor = async (step, { probeHealth, progress }) => {
  const outcome = await probeHealth(step.params.version as string, progress);
  return outcome.status === 'succeeded' ? outcome : { ...outcome, code: 'REWIND_E_PREFLIGHT_FAILED' };
};
