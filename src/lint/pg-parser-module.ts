/**
 * libpg-query is PostgreSQL's own parser compiled to WebAssembly. Loading the module costs tens of
 * milliseconds, so it is imported only when a PostgreSQL file is linted (the rest of the CLI must
 * start fast), once per process; after that every call is synchronous, which keeps the linter a
 * plain function the rollback planner can call.
 */
type PgQueryModule = typeof import('libpg-query');

let loaded: PgQueryModule | undefined;
let loading: Promise<PgQueryModule> | undefined;

export async function loadPgParser(): Promise<PgQueryModule> {
  if (loaded) return loaded;
  loading ??= import('libpg-query').then(async (module) => {
    await module.loadModule();
    loaded = module;
    return module;
  });
  return loading;
}

/** The loaded parser; callers must have awaited loadPgParser() (lintMigrations does). */
export function pgParser(): PgQueryModule {
  if (!loaded) throw new Error('the PostgreSQL parser is not loaded: await loadPgParser() (or use lintMigrations) first');
  return loaded;
}
