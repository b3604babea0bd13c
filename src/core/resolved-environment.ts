import type { EnvironmentConfig, RewindConfig } from '../config/config-schema.js';
import { environmentConfig } from '../config/load-config.js';

/**
 * An environment looked up once, where a use case starts, and passed down to its planners, steps
 * and helpers: no layer below asks the configuration again. Its shape is the part of `StepContext`
 * that names the environment, so a step hands its context on as it is.
 */
export interface ResolvedEnvironment {
  readonly env: string;
  readonly config: EnvironmentConfig;
}

/** REWIND_E_UNKNOWN_ENV unless rewind.yaml defines `env`. */
export function lookUpEnvironment(config: RewindConfig, env: string): ResolvedEnvironment {
  return { env, config: environmentConfig(config, env) };
}

/**
 * For helpers that are both a use case of their own (called with a name, by the CLI) and a part of
 * an operation (called with the environment it already resolved).
 */
export function lookUpUnlessResolved(config: RewindConfig, environment: string | ResolvedEnvironment): ResolvedEnvironment {
  return typeof environment === 'string' ? lookUpEnvironment(config, environment) : environment;
}
