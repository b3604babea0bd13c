import { describe, expect, it } from 'vitest';
import { providerSelected } from '../support/services.js';

/**
 * The frame every port contract shares (after Hono's `common.case.test.ts`): one exported function
 * per port registers its cases; an adapter's test file calls it once per configuration. A case is
 * left out only because the adapter lacks a capability the case is about, or because the run's skip
 * list names it, with a reason. A skip list that names a case the contract does not have fails the
 * run, so a renamed case cannot silently stop being skipped (or checked).
 */
export interface ContractSkip {
  /** Why the adapter does not meet these cases: a limitation of its platform, or a known bug (say which). */
  reason: string;
  /** Exact case names, as the contract registers them. */
  tests: readonly string[];
}

/** What every contract run names. */
export interface ContractRun {
  /** The adapter and configuration, shown in the report: `postgres, directory format`. */
  name: string;
  /** The real service or adapter the run needs; `REWIND_PROVIDERS` filters runs on it (test/support/services.ts). */
  provider: string;
  skip?: readonly ContractSkip[];
}

/** How a contract registers its cases, so that skips and capability gates are applied in one place. */
export interface ContractCases {
  /** A case every adapter of the port must pass (unless the run's skip list names it). */
  it(name: string, body: () => Promise<unknown> | unknown, timeoutMs?: number): void;
  /**
   * A case about a capability: registered as skipped, saying why, when the adapter does not have it
   * (`applies` false). `capability` names it in the skip message: `servedVersions`, `slots`.
   */
  itWith(capability: string, applies: boolean, name: string, body: () => Promise<unknown> | unknown, timeoutMs?: number): void;
}

/** What is wrong with a skip list given the cases a contract registered: unknown names, missing reasons, names skipped twice. */
export function skipListProblems(skip: readonly ContractSkip[], cases: readonly string[]): string[] {
  const known = new Set(cases);
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const entry of skip) {
    if (entry.reason.trim() === '') problems.push(`a skip of ${JSON.stringify(entry.tests)} gives no reason`);
    if (entry.tests.length === 0) problems.push(`the skip "${entry.reason}" names no case`);
    for (const name of entry.tests) {
      if (!known.has(name)) problems.push(`skip names a case this contract does not have: ${JSON.stringify(name)}`);
      if (seen.has(name)) problems.push(`skip names ${JSON.stringify(name)} twice`);
      seen.add(name);
    }
  }
  return problems;
}

/**
 * Registers `describe('<port> contract: <run.name>')` with the cases `body` declares. The describe is
 * skipped as a whole when REWIND_PROVIDERS leaves `run.provider` out. `body` may use vitest's
 * beforeAll/afterAll and nested describes directly; case names must be unique within the contract.
 */
export function contractSuite(port: string, run: ContractRun, body: (cases: ContractCases) => void): void {
  const skip = run.skip ?? [];
  const reasons = new Map<string, string>();
  for (const entry of skip) for (const name of entry.tests) reasons.set(name, entry.reason);
  const registered: string[] = [];
  const register = (name: string) => {
    registered.push(name);
    return reasons.get(name);
  };
  const cases: ContractCases = {
    it(name, fn, timeoutMs) {
      const reason = register(name);
      if (reason !== undefined) it.skip(`${name} [skipped: ${reason}]`, fn as () => Promise<void>);
      else it(name, fn as () => Promise<void>, timeoutMs);
    },
    itWith(capability, applies, name, fn, timeoutMs) {
      const reason = register(name);
      if (!applies) it.skip(`${name} [not applicable: no ${capability}]`, fn as () => Promise<void>);
      else if (reason !== undefined) it.skip(`${name} [skipped: ${reason}]`, fn as () => Promise<void>);
      else it(name, fn as () => Promise<void>, timeoutMs);
    },
  };
  const suite = providerSelected(run.provider) ? describe : describe.skip;
  suite(`${port} contract: ${run.name}`, () => {
    body(cases);
    it('skip list names only cases of this contract, each once and with a reason', () => {
      const duplicates = registered.filter((name, i) => registered.indexOf(name) !== i).map((name) => `the contract registers ${JSON.stringify(name)} twice`);
      expect([...duplicates, ...skipListProblems(skip, registered)]).toEqual([]);
    });
  });
}
