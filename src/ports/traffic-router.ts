import type { Outcome } from './outcome.js';
import type { ActionDescription } from './target.js';

/** One side of a traffic split: a server the router forwards to. */
export interface RouterBackend {
  /** The router's own name for it (an haproxy server name; a comment in nginx's upstream file). */
  readonly name: string;
  /** A hostname, an IPv4 address, or an IPv6 address with or without brackets. */
  readonly host: string;
  readonly port: number;
}

/** The two releases a canary splits traffic between. */
export interface RouterBackends {
  readonly stable: RouterBackend;
  readonly canary: RouterBackend;
}

/**
 * Whole percentages of new requests, summing to 100. `{ stable: 100, canary: 0 }` is the abort:
 * everything back on the stable release.
 */
export interface TrafficWeights {
  readonly stable: number;
  readonly canary: number;
}

/** What the core may rely on; it reads these flags, never the router's `type`. */
export interface TrafficRouterCapabilities {
  /** Any split 0–100 is possible, not only all-or-nothing. */
  readonly supportsWeights: boolean;
  /**
   * Weights change inside the running proxy, without a reload that restarts workers, so a switch
   * fails no request. False for nginx, whose reload closes idle keep-alive client connections.
   */
  readonly reloadFree: boolean;
  /** `currentWeights()` asks the running proxy, not a file rewind wrote. */
  readonly readsLiveWeights: boolean;
}

/**
 * What a router offers unless its definition says more: the conservative answer for each flag, so a
 * router that declares nothing is only ever asked for all-or-nothing switches and re-read from the
 * file rewind wrote. Each definition (adapters/routers/<name>/<name>-definition.ts) overrides what differs.
 */
export const DEFAULT_TRAFFIC_ROUTER_CAPABILITIES: TrafficRouterCapabilities = Object.freeze({ supportsWeights: false, reloadFree: false, readsLiveWeights: false });

export interface TrafficRouter {
  readonly type: string;
  readonly capabilities: TrafficRouterCapabilities;
  readonly backends: RouterBackends;

  /**
   * A pure description of `setWeights(weights)` for plans and dry-runs: argv exactly as `exec/` will
   * run it, and the file writes or API calls in order. Throws `REWIND_E_ROUTER_INVALID` for weights
   * `setWeights` would refuse.
   */
  describeSetWeights(weights: TrafficWeights): ActionDescription;

  /**
   * Sends `weights` of new requests to each backend and resolves once the running proxy uses them.
   * Idempotent: repeating it re-applies the same split. Invalid weights reject with
   * `REWIND_E_ROUTER_INVALID` and change nothing; a proxy that refuses the change gives a `failed`
   * outcome with code `REWIND_E_ROUTER_FAILED`, and the previous split still applies.
   */
  setWeights(weights: TrafficWeights): Promise<Outcome>;

  /**
   * The split in force, as percentages of the total weight (`{ 0, 0 }` when neither backend takes
   * traffic). Rejects with `REWIND_E_ROUTER_FAILED` when the proxy or its file cannot be read.
   */
  currentWeights(): Promise<TrafficWeights>;

  /** Waits for a change in progress, then refuses further calls. Idempotent. */
  close(): Promise<void>;
}
