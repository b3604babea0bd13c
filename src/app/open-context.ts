import { loadConfig, resolveConfigPath } from '../config/load-config.js';
import type { RewindConfig } from '../config/config-schema.js';
import { currentActor } from '../core/clock.js';
import { openLedger } from '../ledger/open-ledger.js';
import type { Ledger } from '../ports/ledger.js';

/** A loaded config and its open ledger: what every command, the demo, benches and tests start from. */
export interface AppContext {
  config: RewindConfig;
  configPath: string;
  ledger: Ledger;
  actor: string;
  close(): Promise<void>;
}

export interface OpenContextOptions {
  /** An explicit config path (--config); else $REWIND_CONFIG, else ./rewind.yaml. */
  config?: string;
  env: NodeJS.ProcessEnv;
  /** Who the ledger records as acting; else $REWIND_ACTOR or user@host. */
  actor?: string;
}

/** Config and ledger only: what read-only commands need, kept cheap for start-up time (no adapter is loaded). */
export async function openContext(options: OpenContextOptions): Promise<AppContext> {
  const { config, path } = loadConfig(resolveConfigPath(options.config, options.env), options.env);
  const ledger = await openLedger(config.ledger);
  return { config, configPath: path, ledger, actor: options.actor ?? currentActor(options.env), close: () => ledger.close() };
}
