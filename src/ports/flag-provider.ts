/**
 * Where a release's feature flags live (seed 000/003: a rollback turns off what the bad release
 * turned on). The contract every adapter meets (test/contracts/flag-provider-contract.ts):
 *
 * - `get` reads only; a flag the source does not have is absent from the answer.
 * - `set` changes only the named flags and keeps every other flag and key as it was. It is atomic: a
 *   reader (the app, a flag daemon) sees the whole old source or the whole new one, never half. It
 *   answers each named flag's previous value (null: it was absent), which `restore` puts back.
 * - `restore(previous)` sets each flag back to its previous value, removing those that were absent.
 * - A source that is missing or is not a map of flags, or a named flag whose value is not a boolean,
 *   is REWIND_E_FLAGS_SOURCE with nothing written.
 * - Setting flags to the values they have writes nothing (idempotent).
 */
export interface FlagProvider {
  describe(): string;
  get(names: readonly string[]): Promise<Record<string, boolean>>;
  set(values: Record<string, boolean>): Promise<Record<string, boolean | null>>;
  restore(previous: Record<string, boolean | null>): Promise<void>;
}
