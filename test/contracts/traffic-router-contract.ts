import { afterAll, beforeAll, expect } from 'vitest';
import { Agent } from 'node:http';
import type { TrafficRouter, TrafficWeights } from '../../src/ports/traffic-router.js';
import { sample, underLoad, type RouterHarness, type Tally } from '../support/router-traffic.js';
import { contractSuite, type ContractRun } from './contract-suite.js';

export interface TrafficRouterContractOptions extends ContractRun {
  /**
   * The router in front of its real proxy, which already runs with the two backends of
   * startBackends() (test/support/router-traffic.ts) behind it, at 100/0. Called once, before the
   * first case; `cleanup` (if any) once after the last.
   */
  create(): Promise<RouterHarness & { cleanup?(): Promise<void> }>;
}

const share = (tally: Tally) => tally.stable / Math.max(1, tally.stable + tally.canary);

/**
 * What every TrafficRouter must do against its real proxy. Registered inside the caller's describe,
 * its `create` runs after the caller's beforeAll, so the caller may start the proxy there and keep
 * it for cases of its own.
 */
export function trafficRouterContract(options: TrafficRouterContractOptions): void {
  contractSuite('TrafficRouter', options, (cases) => {
    let created: (RouterHarness & { cleanup?(): Promise<void> }) | undefined;
    const harness = (): RouterHarness => created!;
    beforeAll(async () => {
      created = await options.create();
    });
    afterAll(async () => {
      await created?.cleanup?.();
    });

    const set = async (weights: TrafficWeights) => {
      const outcome = await harness().router.setWeights(weights);
      expect(outcome, outcome.message).toMatchObject({ status: 'succeeded' });
      return outcome;
    };

    cases.it('sends about 90 % of requests to stable and 10 % to canary at 90/10, and reads the split back', async () => {
      const { router, port } = harness();
      await set({ stable: 90, canary: 10 });
      expect(await router.currentWeights()).toEqual({ stable: 90, canary: 10 });
      const tally = await sample(port, 200);
      expect(tally.connectionErrors + tally.badStatus).toBe(0);
      expect(share(tally)).toBeGreaterThanOrEqual(0.84);
      expect(share(tally)).toBeLessThanOrEqual(0.96);
    });

    cases.it('sends everything to stable at 100/0 and everything to canary at 0/100', async () => {
      const { port } = harness();
      await set({ stable: 100, canary: 0 });
      expect(await sample(port, 50)).toMatchObject({ stable: 50, canary: 0 });
      await set({ stable: 0, canary: 100 });
      expect(await sample(port, 50)).toMatchObject({ stable: 0, canary: 50 });
    });

    cases.it('an abort (10/90 → 100/0) takes effect on the very next requests', async () => {
      const { router, port } = harness();
      await set({ stable: 10, canary: 90 });
      // The same keep-alive connection before and after: a client mid-session, not a fresh one.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const before = await sample(port, 100, agent);
      expect(before.canary).toBeGreaterThanOrEqual(80);
      await set({ stable: 100, canary: 0 });
      const after = await sample(port, 50, agent);
      agent.destroy();
      expect(after.order.every((name) => name === 'stable')).toBe(true);
      expect(after.badStatus).toBe(0);
      // A reload-free router keeps the connection; nginx's old worker may close it under the client
      // (at most the one request that was on its way), and the agent reconnects to a new worker.
      expect(after.connectionErrors).toBeLessThanOrEqual(router.capabilities.reloadFree ? 0 : 1);
      expect(after.stable).toBe(50 - after.connectionErrors);
    });

    cases.it('refuses weights that do not sum to 100 with a coded error and keeps the split', async () => {
      const { router, port } = harness();
      await set({ stable: 100, canary: 0 });
      await expect(router.setWeights({ stable: 60, canary: 60 })).rejects.toMatchObject({ code: 'REWIND_E_ROUTER_INVALID' });
      await expect(router.setWeights({ stable: 95.5, canary: 4.5 })).rejects.toMatchObject({ code: 'REWIND_E_ROUTER_INVALID' });
      expect(await router.currentWeights()).toEqual({ stable: 100, canary: 0 });
      expect(await sample(port, 20)).toMatchObject({ stable: 20, canary: 0 });
    });

    cases.it('counts failed requests during 5 switches under 20 keep-alive clients for ~3 s', async () => {
      const { router, port, label } = harness();
      await set({ stable: 100, canary: 0 });
      const steps: TrafficWeights[] = [
        { stable: 90, canary: 10 },
        { stable: 50, canary: 50 },
        { stable: 0, canary: 100 },
        { stable: 10, canary: 90 },
        { stable: 100, canary: 0 }, // the abort
      ];
      const switchMs: number[] = [];
      const connections = 20;
      const tally = await underLoad(port, { connections, durationMs: 3000, maxRequests: 300_000 }, async () => {
        for (const weights of steps) {
          await new Promise((resolve) => setTimeout(resolve, 400));
          const started = performance.now();
          await set(weights);
          switchMs.push(Math.round(performance.now() - started));
        }
      });
      const failures = tally.connectionErrors + tally.badStatus;
      console.info(
        `[${label}] ${failures} failed of ${tally.total} requests during ${steps.length} switches ` +
          `(${tally.connectionErrors} connection errors ${JSON.stringify(tally.errorKinds)}, ${tally.badStatus} non-200; switch ms ${switchMs.join(', ')}; ` +
          `stable ${tally.stable}, canary ${tally.canary})`,
      );
      // Load existed (a loaded CI machine manages far fewer than the ~10,000 seen on a quiet one).
      expect(tally.total).toBeGreaterThan(200);
      expect(tally.stable).toBeGreaterThan(0);
      expect(tally.canary).toBeGreaterThan(0);
      // Never a 502/503: no step leaves both backends without weight, and the proxy never lacks a worker.
      expect(tally.badStatus).toBe(0);
      if (router.capabilities.reloadFree) {
        expect(tally.connectionErrors).toBe(0);
      } else {
        // A reload makes every old worker close its idle keep-alive connections; a client that had just
        // written its next request on one gets a reset (measured here: 5–36 of ~3,000–10,000 requests
        // over 5 reloads, ECONNRESET, never an HTTP error). Old workers stop listening before they close
        // idle connections, so the client reconnects to a new worker: about one lost request per client
        // connection per reload at most, and a client without retries sees some of them.
        expect(tally.connectionErrors).toBeLessThanOrEqual(connections * steps.length);
      }
      expect(await router.currentWeights()).toEqual({ stable: 100, canary: 0 });
      expect(await sample(port, 20)).toMatchObject({ stable: 20, canary: 0 });
    });
  });
}
