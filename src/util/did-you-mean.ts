// "did you mean …?" for names typed by a person: commands, subcommands, flags, config keys.

/**
 * Optimal string alignment distance: inserting, deleting or replacing one character, or swapping
 * two neighbours, each costs 1 (`deplyo` → `deploy` is 1, a plain Levenshtein distance says 2).
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** How many edits still read as a typo: about one per three characters, from 1 to 3, so a short word is not "close" to every other short word. */
function tolerance(word: string): number {
  return Math.max(1, Math.min(3, Math.floor(word.length / 3)));
}

/**
 * The candidates `word` is most likely a typo of, nearest first (ties keep the candidates' order),
 * at most `limit`; case is ignored. A word of three characters or more that begins a candidate
 * (`hist` → history) counts when no candidate is within typo distance. Empty: nothing is close.
 */
export function closestMatches(word: string, candidates: readonly string[], limit = 3): string[] {
  const typed = word.toLowerCase();
  if (typed.length === 0) return [];
  const scored = candidates
    .map((candidate) => ({ candidate, distance: editDistance(typed, candidate.toLowerCase()) }))
    .filter((s) => s.distance <= tolerance(typed));
  if (scored.length > 0) {
    const nearest = Math.min(...scored.map((s) => s.distance));
    return scored.filter((s) => s.distance === nearest).map((s) => s.candidate).slice(0, limit);
  }
  if (typed.length < 3) return [];
  return candidates.filter((candidate) => candidate.toLowerCase().startsWith(typed)).slice(0, limit);
}

/** "did you mean deploy?", "did you mean --dry-run or --no-baseline?"; undefined when nothing is close. */
export function didYouMean(matches: readonly string[]): string | undefined {
  if (matches.length === 0) return undefined;
  const listed = matches.length === 1 ? matches[0]! : `${matches.slice(0, -1).join(', ')} or ${matches.at(-1)!}`;
  return `did you mean ${listed}?`;
}
