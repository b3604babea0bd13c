/**
 * The reference model of the last known good release, written from the rule in docs/architecture.md
 * ("Releases, states and the last known good release") and not from rewind's code: it never looks at
 * a release state, a good_seq or a ledger row. It keeps the history of verdicts per release:
 *
 * - a release *reaches good* when a deploy marks it good or a rollback to it completes (its health
 *   check passed after activation); each time gets the next number of one counter;
 * - a release is *disqualified* when a rollback moves what serves away from it (a completed rollback,
 *   or an abandoned one whose switch had happened) or when it fails its checks after activation;
 *   reaching good again qualifies it again;
 * - being activated without a verdict (an abandoned operation that left it serving) changes nothing:
 *   a release that had reached good keeps its place, one that never did stays out.
 *
 * The LKG is the qualified release other than the current one that reached good most recently.
 */
export interface ModelRelease {
  version: string;
  /** Its files fail the health check (the test's `BAD` file). */
  bad: boolean;
  everGood: boolean;
  /** The counter value of the last time it reached good (0: never). */
  lastGood: number;
  disqualified: boolean;
}

export class LkgModel {
  readonly releases = new Map<string, ModelRelease>();
  /** What serves (and what the ledger and the link must name). */
  current: string | null = null;
  private counter = 0;

  register(version: string, bad: boolean): void {
    this.releases.set(version, { version, bad, everGood: false, lastGood: 0, disqualified: false });
  }

  get(version: string): ModelRelease {
    const release = this.releases.get(version);
    if (!release) throw new Error(`model: ${version} is not registered`);
    return release;
  }

  reachedGood(version: string): void {
    const release = this.get(version);
    release.everGood = true;
    release.lastGood = ++this.counter;
    release.disqualified = false;
  }

  /** A rollback moved what serves away from `version`. */
  leftByRollback(version: string | null): void {
    if (version) this.get(version).disqualified = true;
  }

  failedChecks(version: string): void {
    this.get(version).disqualified = true;
  }

  /** The newest qualified release that reached good, other than `excluding` (by default: the current one). */
  lastKnownGood(excluding: string | null = this.current): string | null {
    let best: ModelRelease | null = null;
    for (const release of this.releases.values()) {
      if (!release.everGood || release.disqualified || release.version === excluding) continue;
      if (!best || release.lastGood > best.lastGood) best = release;
    }
    return best?.version ?? null;
  }

  /** Reached good, and nothing judged it bad since. */
  knownGood(version: string | null): boolean {
    if (version === null) return false;
    const release = this.get(version);
    return release.everGood && !release.disqualified;
  }

  isBad(version: string | null): boolean {
    return version !== null && this.get(version).bad;
  }

  /** Registered versions, oldest first. */
  versions(): string[] {
    return [...this.releases.keys()];
  }

  describe(): string {
    const releases = [...this.releases.values()].map((r) => `${r.version}${r.bad ? '(bad)' : ''}${r.everGood ? `:good#${r.lastGood}${r.disqualified ? ':out' : ''}` : ''}`);
    return `current ${this.current ?? 'none'}, lkg ${this.lastKnownGood() ?? 'none'}; ${releases.join(' ')}`;
  }
}
