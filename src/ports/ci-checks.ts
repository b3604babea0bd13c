/**
 * The CI system's word on a commit: the checks that ran on it (GitHub check runs and commit
 * statuses). core/ci/ decides from them whether a release passed CI; the adapter only reads.
 */
export interface CiCheck {
  /** The check run's name, or the status's context. */
  name: string;
  kind: 'check-run' | 'status';
  /** Check runs: queued | in_progress | completed (and GitHub's waiting, requested, pending); statuses: pending | completed. */
  status: string;
  /**
   * Set once completed: success, neutral, skipped, failure, cancelled, timed_out, action_required,
   * stale, startup_failure (check runs) or success, failure, error (statuses); null while pending.
   */
  conclusion: string | null;
  /** The CI system's own id of the run or status: what a person looks it up by. */
  id: number;
  /** Where a person reads it (html_url, target_url), or null. */
  url: string | null;
}

/**
 * Contract:
 * - `read(commit)` resolves with every check on the commit, all pages (an empty list: nothing has
 *   reported on it yet). It never writes anything.
 * - It rejects only with a RewindError: REWIND_E_CI_AUTH (no token in the environment, or the token
 *   is refused: 401/403), REWIND_E_CI_NOT_FOUND (unknown repository or commit: 404/422),
 *   REWIND_E_CI_UNAVAILABLE (5xx, rate limit or timeouts after its bounded retries). Each names the
 *   repository and commit; none carries the token.
 * - The token comes from the process environment, is sent only to the configured API, and appears
 *   in no message, detail or return value.
 */
export interface CiChecks {
  /** `github`: what the evidence names as its source. */
  readonly provider: string;
  /** `owner/name`. */
  readonly repository: string;
  read(commit: string): Promise<CiCheck[]>;
}

/**
 * What rewind recorded of one CI check of a release: with the release's registration (audit event
 * `ci_checked`), and in the plan of every deploy and rollback of an environment with a `ci:` gate,
 * whence the incident report. Plain data; never the token.
 */
export interface CiEvidence {
  provider: string;
  repository: string;
  version: string;
  /** The release's recorded commit; null: none was recorded, so CI cannot be confirmed. */
  commit: string | null;
  verdict: 'passed' | 'failed' | 'unknown';
  summary: string;
  /** The checks that decided it (the newest run of each name). */
  checks: CiCheck[];
  /** Required checks that had not reported. */
  missing: string[];
  /** When rewind read them (ms since the epoch). */
  fetchedAt: number;
  /** Deploys and rollbacks: the verdict was not `passed` and --allow-untested let it through. */
  allowedUntested?: boolean;
}
