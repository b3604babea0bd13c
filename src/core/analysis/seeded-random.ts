/**
 * A small seeded random source for simulations (tests, drills, benchmarks): the same seed gives the
 * same series on every machine, so a simulated "200 healthy runs, 0 false failures" is a fact, not
 * a flaky test. Not for anything secret.
 */
export interface SeededRandom {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** exp(N(mu, sigma²)): latencies around e^mu with multiplicative jitter. */
  lognormal(mu: number, sigma: number): number;
  /** Binomial(n, p) by n Bernoulli draws; fine for the request counts of a simulated interval. */
  binomial(n: number, p: number): number;
}

/** mulberry32: 32-bit state, passes the usual statistical batteries for this use. */
export function createSeededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    // 1 − next() is in (0, 1]: the logarithm stays finite.
    const u = 1 - next();
    const v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  return {
    next,
    normal,
    lognormal: (mu, sigma) => Math.exp(mu + sigma * normal()),
    binomial: (n, p) => {
      let k = 0;
      for (let i = 0; i < n; i++) if (next() < p) k++;
      return k;
    },
  };
}
