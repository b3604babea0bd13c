import { loadAdapters } from '../src/adapters/registry.js';
import { parseConfigText } from '../src/config/load-config.js';
import { planDeploy } from '../src/core/plan/deploy-plan.js';
import { planRollback } from '../src/core/plan/rollback-plan.js';
import { sampleConfigYaml } from '../src/demo/sample-artifacts.js';
import { ProcessExecutor } from '../src/exec/process-executor.js';
import type { ReleaseRecord } from '../src/ports/ledger.js';

const { createTarget } = await loadAdapters(['target', 'runtime']);

/**
 * Synthetic ledger history for the scale bench, shaped like what rewind itself writes: every release
 * is registered and deployed; one deploy in ten fails its health check and is rolled back
 * automatically; one in fifty is rolled back by hand later. Operations carry real plans (from the
 * planner) and a step journal; events are the audit log. Rows come out in time order, in chunks,
 * so a loader can stream them; releases and environments (whose final state is known only at the
 * end) come out last.
 */

export interface ReleaseRow {
  env: string;
  version: string;
  seq: number;
  artifact: string;
  digest: string;
  commit_sha: string | null;
  ci: string;
  state: string;
  good_seq: number | null;
  created_at: number;
  updated_at: number;
}
export interface OperationRow {
  id: string;
  env: string;
  kind: string;
  from_version: string | null;
  to_version: string;
  state: string;
  plan: string;
  actor: string;
  parent_id: string | null;
  reason: string | null;
  error: string | null;
  started_at: number;
  finished_at: number | null;
}
export interface StepRow {
  operation_id: string;
  idx: number;
  step_id: string;
  kind: string;
  state: string;
  attempt: number;
  detail: string;
  started_at: number;
  finished_at: number | null;
}
export interface EventRow {
  at: number;
  env: string;
  operation_id: string | null;
  event: string;
  actor: string;
  from_version: string | null;
  to_version: string | null;
  data: string;
}
export interface EnvironmentRow {
  name: string;
  current_version: string | null;
  updated_at: number;
}

export interface Chunk {
  operations: OperationRow[];
  steps: StepRow[];
  events: EventRow[];
}

export interface GeneratedCounts {
  releases: number;
  operations: number;
  steps: number;
  events: number;
  byEnv: Record<string, { releases: number; operations: number; events: number }>;
}

export const MAIN_ENV = 'production';
export const NOISE_ENVS = ['staging', 'canary'];
const T0 = Date.parse('2024-01-01T00:00:00Z');
const ACTORS = ['ci@runner-1', 'ci@runner-2', 'alice@laptop', 'bob@laptop'];
const DIGEST = `sha256:${'3f2a9c1e'.repeat(8)}`;
// Sentinels the plan templates are written with, replaced per operation (no real version looks like these).
const TO = '901.902.903';
const FROM = '801.802.803';

export const versionOf = (seq: number): string => `${1 + Math.floor(seq / 10_000)}.${Math.floor(seq / 100) % 100}.${seq % 100}`;

/** Real plan JSON from the planner for this sample config, with sentinel versions to substitute. */
function planTemplates(env: string): { deploy: string; rollback: string; deploySteps: { id: string; kind: string }[]; rollbackSteps: { id: string; kind: string }[] } {
  const root = '/srv/app';
  const config = parseConfigText(sampleConfigYaml({ root, env, port: 3000, appName: 'shop-web' }), root);
  const envConfig = config.environments[env]!;
  const target = createTarget(envConfig, new ProcessExecutor());
  const record = (version: string, goodSeq: number | null): ReleaseRecord => ({
    env,
    version,
    seq: 1,
    artifact: `/srv/artifacts/shop-web-${version}.tgz`,
    digest: DIGEST,
    commit: '3f2a9c1e5b7d',
    ci: 'passed',
    state: goodSeq ? 'good' : 'registered',
    goodSeq,
    database: null,
    drill: false,
    createdAt: T0,
    updatedAt: T0,
  });
  const deploy = planDeploy({ env, config: envConfig, target, release: record(TO, null), current: record(FROM, 7), lkg: record(FROM, 7) });
  const rollback = planRollback({ env, config: envConfig, target, from: record(FROM, 7), to: record(TO, 6), reason: `deploy of ${FROM} failed at health: status 500, expected 200`, automatic: true });
  return {
    deploy: JSON.stringify(deploy),
    rollback: JSON.stringify(rollback),
    deploySteps: deploy.steps.map((s) => ({ id: s.id, kind: s.kind })),
    rollbackSteps: rollback.steps.map((s) => ({ id: s.id, kind: s.kind })),
  };
}

interface EnvState {
  seq: number;
  goodSeq: number;
  current: ReleaseRow | null;
  releases: ReleaseRow[];
}

/**
 * Generates `releases` releases in MAIN_ENV plus one in a noise environment for every `noiseEvery`.
 * Yields a chunk every `chunkReleases` main releases; returns releases and environments at the end.
 */
export interface GeneratedLedger {
  releases: ReleaseRow[];
  environments: EnvironmentRow[];
  counts: GeneratedCounts;
}

export function* generateLedger(options: { releases: number; noiseEvery?: number; chunkReleases?: number }): Generator<Chunk, GeneratedLedger, void> {
  const noiseEvery = options.noiseEvery ?? 10;
  const chunkReleases = options.chunkReleases ?? 5_000;
  const templates = new Map<string, ReturnType<typeof planTemplates>>();
  const envs = new Map<string, EnvState>();
  const counts: GeneratedCounts = { releases: 0, operations: 0, steps: 0, events: 0, byEnv: {} };
  let opCounter = 0;
  let chunk: Chunk = { operations: [], steps: [], events: [] };

  const stateOf = (env: string): EnvState => {
    let state = envs.get(env);
    if (!state) {
      state = { seq: 0, goodSeq: 0, current: null, releases: [] };
      envs.set(env, state);
      templates.set(env, planTemplates(env));
      counts.byEnv[env] = { releases: 0, operations: 0, events: 0 };
    }
    return state;
  };
  const event = (e: EventRow) => {
    chunk.events.push(e);
    counts.events++;
    counts.byEnv[e.env]!.events++;
  };
  const fill = (text: string, to: string, from: string) => text.replaceAll(TO, to).replaceAll(FROM, from);

  /** One operation with its journal and its events, starting at `at`; returns when it finished. */
  const operation = (
    env: string,
    kind: 'deploy' | 'rollback',
    from: string | null,
    to: string,
    at: number,
    actor: string,
    failAt: string | null,
    parentId: string | null,
    reason: string | null,
  ): { id: string; end: number } => {
    const t = templates.get(env)!;
    const id = `op_${at.toString(36)}${(opCounter++).toString(16).padStart(10, '0')}`;
    const steps = kind === 'deploy' ? t.deploySteps : t.rollbackSteps;
    event({ at, env, operation_id: id, event: kind === 'deploy' ? 'deploy_start' : 'rollback_start', actor, from_version: from, to_version: to, data: kind === 'deploy' ? '{}' : JSON.stringify({ automatic: parentId !== null, reason }) });
    let clock = at + 3;
    let failed: string | null = null;
    for (const [idx, step] of steps.entries()) {
      const duration = step.id === 'activate' ? 180 + (idx % 7) * 11 : step.id.includes('health') ? 40 + (idx % 5) * 13 : 2 + (idx % 3);
      const bad = step.id === failAt;
      const message = bad ? 'unhealthy: GET http://127.0.0.1:3000/health → status 500, expected 200 after 5 attempt(s)' : `${step.id}: ok (${step.kind})`;
      chunk.steps.push({
        operation_id: id,
        idx,
        step_id: step.id,
        kind: step.kind,
        state: bad ? 'failed' : 'succeeded',
        attempt: 1,
        detail: JSON.stringify({ message, durationMs: duration, ...(step.id === 'activate' ? { action: 'reload', switched: true, switchMs: 0.412 } : {}) }),
        started_at: clock,
        finished_at: clock + duration,
      });
      counts.steps++;
      clock += duration;
      event({ at: clock, env, operation_id: id, event: 'step_complete', actor, from_version: from, to_version: to, data: JSON.stringify({ step: step.id, title: step.id, status: bad ? 'failed' : 'succeeded', durationMs: duration, message }) });
      clock += 1;
      if (bad) {
        failed = `${step.id}: ${message}`;
        break;
      }
    }
    const success = failed === null;
    event({ at: clock, env, operation_id: id, event: kind === 'deploy' ? 'deploy_complete' : 'rollback_complete', actor, from_version: from, to_version: to, data: JSON.stringify({ success, durationMs: clock - at, ...(failed ? { error: failed } : {}) }) });
    chunk.operations.push({
      id,
      env,
      kind,
      from_version: from,
      to_version: to,
      state: success ? 'succeeded' : 'failed',
      plan: fill(kind === 'deploy' ? t.deploy : t.rollback, to, from ?? 'none'),
      actor,
      parent_id: parentId,
      reason,
      error: failed,
      started_at: at,
      finished_at: clock,
    });
    counts.operations++;
    counts.byEnv[env]!.operations++;
    return { id, end: clock };
  };

  /** Registers and deploys the next release of `env` at `at`, with the failures described above. */
  const release = (env: string, at: number, last: boolean) => {
    const state = stateOf(env);
    const seq = ++state.seq;
    const version = versionOf(seq);
    const actor = ACTORS[seq % ACTORS.length]!;
    const row: ReleaseRow = { env, version, seq, artifact: `/srv/artifacts/shop-web-${version}.tgz`, digest: DIGEST, commit_sha: (seq * 2654435761).toString(16).padStart(12, '0').slice(-12), ci: 'passed', state: 'registered', good_seq: null, created_at: at, updated_at: at };
    state.releases.push(row);
    counts.releases++;
    counts.byEnv[env]!.releases++;
    event({ at, env, operation_id: null, event: 'release_registered', actor: 'ci@runner-1', from_version: null, to_version: version, data: JSON.stringify({ digest: DIGEST, artifact: row.artifact, commit: row.commit_sha, ci: 'passed' }) });

    const previous = state.current;
    const failsHealth = !last && seq % 10 === 7 && previous !== null;
    const deployed = operation(env, 'deploy', previous?.version ?? null, version, at + 1_000, actor, failsHealth ? 'health' : null, null, null);
    if (failsHealth) {
      row.state = 'failed';
      row.updated_at = deployed.end;
      const reason = `deploy of ${version} failed at health: status 500, expected 200`;
      const back = operation(env, 'rollback', version, previous.version, deployed.end + 1, actor, null, deployed.id, reason);
      previous.good_seq = ++state.goodSeq;
      previous.state = 'good';
      previous.updated_at = back.end;
      return;
    }
    row.state = 'good';
    row.good_seq = ++state.goodSeq;
    row.updated_at = deployed.end;
    if (previous?.state === 'good') {
      previous.state = 'superseded';
      previous.updated_at = deployed.end;
    }
    state.current = row;
    if (!last && seq % 50 === 0 && previous !== null) {
      // Rolled back by hand twenty minutes later: the previous release is good again.
      const back = operation(env, 'rollback', version, previous.version, deployed.end + 1_200_000, 'alice@laptop', null, null, 'requested by alice@laptop');
      row.state = 'rolled-back';
      row.updated_at = back.end;
      previous.good_seq = ++state.goodSeq;
      previous.state = 'good';
      previous.updated_at = back.end;
      state.current = previous;
    }
  };

  let noise = 0;
  for (let i = 1; i <= options.releases; i++) {
    const at = T0 + i * 600_000; // one release every ten minutes
    release(MAIN_ENV, at, i === options.releases);
    if (i % noiseEvery === 0) release(NOISE_ENVS[noise++ % NOISE_ENVS.length]!, at + 300_000, false);
    if (i % chunkReleases === 0 || i === options.releases) {
      const done = chunk;
      chunk = { operations: [], steps: [], events: [] };
      yield done;
    }
  }
  const releases = [...envs.values()].flatMap((s) => s.releases);
  const environments = [...envs.entries()].map(([name, s]) => ({ name, current_version: s.current?.version ?? null, updated_at: s.current?.updated_at ?? T0 }));
  return { releases, environments, counts };
}
