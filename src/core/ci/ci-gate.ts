import { RewindError } from '../../errors/rewind-error.js';
import type { CiEvidence } from '../../ports/ci-checks.js';
import type { ReleaseRecord } from '../../ports/ledger.js';
import type { ResolvedEnvironment } from '../resolved-environment.js';
import type { Services } from '../services.js';
import { ciVerdict, PASSING_CONCLUSIONS } from './ci-verdict.js';

// The CI gate (docs/ci.md): with `ci:` configured, whether a release passed CI is read from the CI
// system for its commit at register, and read again at every deploy and rollback, instead of being
// taken from `release register --ci`. Without `ci:` nothing here runs.

/** Whether the environment reads CI results from a CI system. */
export const hasCiGate = (environment: ResolvedEnvironment): boolean => environment.config.ci !== undefined;

/** Reads the checks of `commit` and judges them; undefined when the environment has no `ci:` gate. */
export async function readCiEvidence(services: Services, environment: ResolvedEnvironment, version: string, commit: string | null): Promise<CiEvidence | undefined> {
  const { env, config } = environment;
  if (!config.ci) return undefined;
  if (!services.createCiChecks) throw new RewindError('REWIND_E_CONFIG_INVALID', `environments.${env}.ci is configured but this wiring reads no CI system`, { env });
  const checks = services.createCiChecks(env, config);
  const base = { provider: checks.provider, repository: checks.repository, version, commit };
  if (commit === null) {
    return { ...base, verdict: 'unknown', summary: `release ${version} has no recorded commit, so its CI cannot be confirmed`, checks: [], missing: [], fetchedAt: services.now() };
  }
  const read = await checks.read(commit);
  const { verdict, summary, counted, missing } = ciVerdict(read, config.ci.requiredChecks);
  return { ...base, verdict, summary, checks: counted, missing, fetchedAt: services.now() };
}

/**
 * Deploy and rollback: the release's CI, read again now. Not `passed` is refused without
 * --allow-untested (a rollback onto untested code is an incident of its own, seed 003); with it,
 * the evidence says so and goes into the plan and the audit log.
 */
export async function gateOnCi(services: Services, environment: ResolvedEnvironment, release: ReleaseRecord, action: 'deploy' | 'rollback', allowUntested: boolean): Promise<CiEvidence | undefined> {
  const evidence = await readCiEvidence(services, environment, release.version, release.commit);
  if (!evidence) return undefined;
  if (evidence.verdict === 'passed') return evidence;
  if (!allowUntested) {
    const what = action === 'rollback' ? `rollback target ${release.version}` : `release ${release.version}`;
    throw new RewindError('REWIND_E_RELEASE_UNTESTED', `${what} has not passed CI on ${evidence.repository}${evidence.commit ? `@${evidence.commit}` : ''}: ${evidence.summary}`, {
      env: environment.env,
      version: release.version,
      ci: evidence.verdict,
      repository: evidence.repository,
      commit: evidence.commit,
      missing: evidence.missing,
      failing: evidence.checks.filter((c) => c.status === 'completed' && !PASSING_CONCLUSIONS.includes(c.conclusion ?? '')).map((c) => c.name),
    });
  }
  return { ...evidence, allowedUntested: true };
}

/** The note a plan carries for it: what --dry-run shows. */
export function ciNote(evidence: CiEvidence): string {
  const where = `${evidence.provider} ${evidence.repository}${evidence.commit ? `@${evidence.commit.slice(0, 12)}` : ''}`;
  return `CI of ${evidence.version} (${where}, read ${new Date(evidence.fetchedAt).toISOString()}): ${evidence.verdict} — ${evidence.summary}${evidence.allowedUntested ? ' — let through by --allow-untested' : ''}`;
}

/** The audit event for a check made by an operation (or by `release register`). */
export function ciCheckedEvent(env: string, stage: 'register' | 'deploy' | 'rollback', evidence: CiEvidence, operationId?: string) {
  return {
    event: 'ci_checked' as const,
    env,
    ...(operationId ? { operationId } : {}),
    stage,
    to: evidence.version,
    provider: evidence.provider,
    repository: evidence.repository,
    commit: evidence.commit,
    verdict: evidence.verdict,
    summary: evidence.summary,
    checks: evidence.checks.map((c) => ({ name: c.name, kind: c.kind, status: c.status, conclusion: c.conclusion, id: c.id, url: c.url })),
    missing: evidence.missing,
    fetchedAt: evidence.fetchedAt,
    ...(evidence.allowedUntested ? { allowedUntested: true as const } : {}),
  };
}
