import { realpathSync } from 'node:fs';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Runtime, RuntimeContext } from '../../src/ports/runtime.js';
import { contractSuite, type ContractRun } from './contract-suite.js';

/** What a Runtime test file hands the contract: a runtime for the test app, and the app's files. */
export interface RuntimeHarness {
  runtime: Runtime;
  /**
   * Makes `version` of the test app the one the `current` link names (writing its release
   * directory if needed, as a releases target's prepare would) and returns the context activate gets.
   */
  point(version: string): Promise<RuntimeContext>;
  /** The version the app answers with over HTTP now, or null when nothing answers. */
  answering(): Promise<string | null>;
  cleanup(): Promise<void>;
}

export interface RuntimeContractOptions extends ContractRun {
  create(): Promise<RuntimeHarness>;
  /** The optional parts of the port this runtime has (the first case checks it has exactly these). */
  capabilities: {
    /** `isRunning()`. */
    isRunning: boolean;
    /** `servedDirs()`. */
    servedDirs: boolean;
  };
}

/**
 * The Runtime contract, read from src/ports/runtime.ts: activate starts the app when it does not
 * run and reloads it when it does, is idempotent, and leaves the release `current` names serving;
 * stop stops it and is idempotent; isRunning and servedDirs, where present, report what really runs.
 * The cases share one runtime and run in order.
 */
export function runtimeContract(options: RuntimeContractOptions): void {
  contractSuite('Runtime', options, (cases) => {
    let harness: RuntimeHarness;
    const runtime = () => harness.runtime;
    /** What the runtime and the app say, compared with what should run (`version` from `dir`, or nothing). */
    const expectRunning = async (expected: { version: string; releaseDir: string } | null) => {
      expect(await harness.answering()).toBe(expected?.version ?? null);
      if (options.capabilities.isRunning) expect(await runtime().isRunning!()).toBe(expected !== null);
      if (options.capabilities.servedDirs) {
        const dirs = await runtime().servedDirs!();
        if (expected === null) expect(dirs).toEqual([]);
        else {
          expect(dirs!.length).toBeGreaterThan(0);
          expect(new Set(dirs)).toEqual(new Set([realpathSync(expected.releaseDir)]));
        }
      }
    };
    const activate = async (context: RuntimeContext) => {
      const outcome = await runtime().activate(context);
      expect(outcome, outcome.message).toMatchObject({ status: 'succeeded' });
      return outcome;
    };

    beforeAll(async () => {
      harness = await options.create();
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    cases.it('has exactly the optional parts it declares', () => {
      expect(runtime().type).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(typeof runtime().supportsZeroDowntimeReload).toBe('boolean');
      expect(typeof runtime().isRunning === 'function').toBe(options.capabilities.isRunning);
      expect(typeof runtime().servedDirs === 'function').toBe(options.capabilities.servedDirs);
    });

    cases.it('describes activate without starting anything', async () => {
      const context = await harness.point('1.0.0');
      const description = runtime().describeActivate(context);
      expect(description.summary.length).toBeGreaterThan(0);
      expect(Array.isArray(description.commands)).toBe(true);
      expect(Array.isArray(description.effects)).toBe(true);
      await expectRunning(null);
    });

    cases.it('stop when nothing runs succeeds and starts nothing', async () => {
      const outcome = await runtime().stop(await harness.point('1.0.0'));
      expect(outcome, outcome.message).toMatchObject({ status: 'succeeded' });
      await expectRunning(null);
    });

    cases.it('activate starts the app when it does not run, from the release current names', async () => {
      const context = await harness.point('1.0.0');
      await activate(context);
      await expectRunning(context);
    });

    cases.it('activate again is idempotent: the same release keeps serving', async () => {
      const context = await harness.point('1.0.0');
      await activate(context);
      await expectRunning(context);
    });

    cases.it('activate while the app runs reloads it: the newly linked release serves', async () => {
      const context = await harness.point('1.1.0');
      await activate(context);
      await expectRunning(context);
    });

    cases.it('stop stops the app, and stopping again is a no-op that succeeds', async () => {
      const context = await harness.point('1.1.0');
      for (let i = 0; i < 2; i++) {
        const outcome = await runtime().stop(context);
        expect(outcome, outcome.message).toMatchObject({ status: 'succeeded' });
        await expectRunning(null);
      }
    });

    cases.it('activate after a stop starts the app again', async () => {
      const context = await harness.point('1.0.0');
      await activate(context);
      await expectRunning(context);
    });
  });
}
