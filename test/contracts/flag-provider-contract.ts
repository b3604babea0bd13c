import { afterAll, beforeAll, expect } from 'vitest';
import { isRewindError } from '../../src/errors/rewind-error.js';
import type { FlagProvider } from '../../src/ports/flag-provider.js';
import { contractSuite, type ContractRun } from './contract-suite.js';

/** What a FlagProvider test file hands the contract: a provider, and the source seen from outside. */
export interface FlagProviderHarness {
  provider: FlagProvider;
  /** The source's flags as the app would read them (null: the source is gone). */
  flags(): Promise<Record<string, unknown> | null>;
  /** Replaces the source with these flags (and an unrelated key the provider must keep). */
  seed(flags: Record<string, unknown>): Promise<void>;
  /** Breaks the source (a file that is not a map, a service that answers garbage). */
  corrupt(): Promise<void>;
  /** A fingerprint of the raw source (bytes, an ETag) that any write changes. */
  fingerprint(): Promise<string>;
  cleanup(): Promise<void>;
}

export interface FlagProviderContractOptions extends ContractRun {
  create(): Promise<FlagProviderHarness>;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  return isRewindError(error) ? error.code : String(error);
}

export function flagProviderContract(options: FlagProviderContractOptions): void {
  contractSuite('FlagProvider', options, (cases) => {
    let h: FlagProviderHarness;
    beforeAll(async () => {
      h = await options.create();
    });
    afterAll(async () => {
      await h?.cleanup();
    });

    cases.it('get reads the named flags only; absent flags are absent', async () => {
      await h.seed({ 'new-checkout': true, 'dark-mode': false, other: 'kept' });
      const before = await h.fingerprint();
      expect(await h.provider.get(['new-checkout', 'dark-mode', 'missing'])).toEqual({ 'new-checkout': true, 'dark-mode': false });
      expect(await h.fingerprint()).toBe(before);
    });

    cases.it('set changes only the named flags, keeps the rest, and answers the previous values', async () => {
      expect(await h.provider.set({ 'new-checkout': false, 'brand-new': false })).toEqual({ 'new-checkout': true, 'brand-new': null });
      expect(await h.flags()).toEqual({ 'new-checkout': false, 'dark-mode': false, other: 'kept', 'brand-new': false });
    });

    cases.it('setting flags to the values they have writes nothing', async () => {
      const before = await h.fingerprint();
      expect(await h.provider.set({ 'new-checkout': false })).toEqual({ 'new-checkout': false });
      expect(await h.fingerprint()).toBe(before);
    });

    cases.it('restore puts the previous values back and removes flags that were absent', async () => {
      await h.provider.restore({ 'new-checkout': true, 'brand-new': null });
      expect(await h.flags()).toEqual({ 'new-checkout': true, 'dark-mode': false, other: 'kept' });
      const before = await h.fingerprint();
      await h.provider.restore({ 'new-checkout': true, 'brand-new': null });
      expect(await h.fingerprint()).toBe(before);
    });

    cases.it('a non-boolean value for a named flag is REWIND_E_FLAGS_SOURCE, nothing written', async () => {
      await h.seed({ 'new-checkout': 'yes', other: 'kept' });
      const before = await h.fingerprint();
      expect(await codeOf(h.provider.set({ 'new-checkout': false }))).toBe('REWIND_E_FLAGS_SOURCE');
      expect(await h.fingerprint()).toBe(before);
    });

    cases.it('a source that is not a map of flags is REWIND_E_FLAGS_SOURCE, nothing written', async () => {
      await h.corrupt();
      const before = await h.fingerprint();
      expect(await codeOf(h.provider.set({ 'new-checkout': false }))).toBe('REWIND_E_FLAGS_SOURCE');
      expect(await codeOf(h.provider.get(['new-checkout']))).toBe('REWIND_E_FLAGS_SOURCE');
      expect(await h.fingerprint()).toBe(before);
    });
  });
}
