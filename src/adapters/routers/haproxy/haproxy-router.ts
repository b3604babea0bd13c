import { RewindError } from '../../../errors/rewind-error.js';
import { failed, succeeded, type Outcome } from '../../../ports/outcome.js';
import type { ActionDescription } from '../../../ports/target.js';
import { haproxyRouterDefinition } from './haproxy-definition.js';
import { routerCapabilities } from '../router-capabilities.js';
import type { RouterBackends, TrafficRouter, TrafficRouterCapabilities, TrafficWeights } from '../../../ports/traffic-router.js';
import { HaproxyRuntimeClient } from './haproxy-runtime-client.js';
import { hostPort, validateBackends, validateName } from '../router-backends.js';
import { SerialQueue } from '../serial-queue.js';
import { formatWeights, toPercentages, validateWeights } from '../traffic-weights.js';

export interface HaproxyRouterOptions {
  /** From the registry (the definition's flags over the defaults); a router built directly takes the same. */
  capabilities?: TrafficRouterCapabilities;
  /** `name` of each is the haproxy server name inside `backend`; host and port are for plans and logs. */
  backends: RouterBackends;
  /** The haproxy backend (proxy) that holds both servers; its `balance` must be dynamic (roundrobin, leastconn…). */
  backend: string;
  /** The stats socket, declared `stats socket <path> level admin` in haproxy.cfg. */
  socket: string;
  /** Limit for each runtime-API request. Default 5 s. */
  timeoutMs?: number;
}


/**
 * Weights through haproxy's runtime API: `get weight` for both servers (they exist; the split to
 * restore), `set weight <backend>/<server> <w>` for both on one line, then `get weight` again to
 * confirm. The percentages are the weights (haproxy takes 0–256).
 *
 * Runtime weights live in the running process only: an haproxy reload or restart goes back to the
 * weights in haproxy.cfg unless the config keeps them (`server-state-file` + `load-server-state-from-file`).
 */
export class HaproxyRouter implements TrafficRouter {
  readonly type = 'haproxy';
  readonly capabilities: TrafficRouterCapabilities;
  readonly backends: RouterBackends;
  private readonly backend: string;
  private readonly client: HaproxyRuntimeClient;
  private readonly queue = new SerialQueue();

  constructor(private readonly options: HaproxyRouterOptions) {
    this.capabilities = options.capabilities ?? routerCapabilities(haproxyRouterDefinition);
    this.backends = validateBackends(options.backends);
    this.backend = validateName('backend', options.backend);
    this.client = new HaproxyRuntimeClient(options.socket, options.timeoutMs ?? 5000);
  }

  describeSetWeights(weights: TrafficWeights): ActionDescription {
    const valid = validateWeights(weights);
    const { stable, canary } = this.backends;
    return {
      summary: `haproxy: ${formatWeights(valid)} in backend ${this.backend} (stable ${hostPort(stable)}, canary ${hostPort(canary)}), no reload`,
      commands: [],
      effects: [
        `haproxy runtime API ${this.options.socket}: ${this.getCommands().join('; ')} (both servers exist; the split to restore on a refusal)`,
        `haproxy runtime API ${this.options.socket}: ${this.setCommands(valid).join('; ')}`,
        `haproxy runtime API ${this.options.socket}: ${this.getCommands().join('; ')} (read back, must match)`,
      ],
    };
  }

  async setWeights(weights: TrafficWeights): Promise<Outcome> {
    const valid = validateWeights(weights);
    return this.queue.run(() => this.apply(valid));
  }

  async currentWeights(): Promise<TrafficWeights> {
    this.queue.assertOpen();
    const raw = await this.readRaw();
    return toPercentages(raw.stable, raw.canary);
  }

  close(): Promise<void> {
    return this.queue.close();
  }

  private async apply(weights: TrafficWeights): Promise<Outcome> {
    const started = performance.now();
    let previous: TrafficWeights;
    let answer: string;
    try {
      // Reading first checks that both servers exist, so an unknown name changes nothing at all.
      previous = await this.readRaw();
      answer = await this.client.send(this.setCommands(weights));
    } catch (error) {
      return failed((error as Error).message, { weights, socket: this.options.socket }, 'REWIND_E_ROUTER_FAILED');
    }
    // `set weight` answers nothing when it succeeds; any text is haproxy's reason for refusing.
    if (answer.trim() !== '') {
      // One command may have applied before the other was refused: put the previous split back.
      const restored = await this.client.send(this.setCommands(previous)).then((text) => text.trim() === '', () => false);
      return failed(
        `haproxy refused the weights: ${answer.trim().split('\n').join(' / ')}`,
        { weights, backend: this.backend, answer: answer.trim(), previous, restored },
        'REWIND_E_ROUTER_FAILED',
      );
    }
    const now = await this.readRaw().catch((error: Error) => error);
    if (now instanceof Error || now.stable !== weights.stable || now.canary !== weights.canary) {
      return failed(
        `haproxy did not confirm ${formatWeights(weights)}: ${now instanceof Error ? now.message : `it reports stable ${now.stable}, canary ${now.canary}`}`,
        { weights, backend: this.backend },
        'REWIND_E_ROUTER_FAILED',
      );
    }
    return succeeded(`haproxy serves ${formatWeights(weights)}`, { weights, backend: this.backend, switchMs: Math.round((performance.now() - started) * 10) / 10, confirmed: true });
  }

  /**
   * The larger weight is set first, so between the two commands one server always has a weight:
   * 100/0 → 0/100 passes through 100/100, never through 0/0 (which would answer 503).
   */
  private setCommands(weights: TrafficWeights): string[] {
    const { stable, canary } = this.backends;
    const commands = [`set weight ${this.backend}/${stable.name} ${weights.stable}`, `set weight ${this.backend}/${canary.name} ${weights.canary}`];
    return weights.canary > weights.stable ? commands.reverse() : commands;
  }

  private getCommands(): string[] {
    return [`get weight ${this.backend}/${this.backends.stable.name}`, `get weight ${this.backend}/${this.backends.canary.name}`];
  }

  /** The current (not initial) weights; `get weight` answers `<current> (initial <from config>)`. */
  private async readRaw(): Promise<TrafficWeights> {
    const answer = await this.client.send(this.getCommands());
    const lines = answer.split('\n').map((line) => line.trim()).filter(Boolean);
    const values = lines.map((line) => /^(\d+) \(initial \d+\)$/.exec(line)?.[1]);
    if (values.length !== 2 || values.some((v) => v === undefined)) {
      throw new RewindError('REWIND_E_ROUTER_FAILED', `haproxy runtime API at ${this.options.socket} did not report both weights: ${lines.join(' / ') || '(empty answer)'}`, {
        socket: this.options.socket,
        backend: this.backend,
      });
    }
    return { stable: Number(values[0]), canary: Number(values[1]) };
  }
}

export function createHaproxyRouter(options: HaproxyRouterOptions): HaproxyRouter {
  return new HaproxyRouter(options);
}
