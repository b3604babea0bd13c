import type { RouterBackend, RouterBackends, TrafficWeights } from '../../../ports/traffic-router.js';
import { hostPort } from '../router-backends.js';
import { formatWeights } from '../traffic-weights.js';

/**
 * The file rewind owns: one `upstream` block, included inside `http {}` of nginx.conf and named by
 * `proxy_pass http://<upstream>`. Pure, so a dry-run can show it and unit tests can assert it.
 *
 * nginx weights must be ≥ 1 (`weight=0` fails `nginx -t`), so a backend at 0 % is written as `down`:
 * it gets no requests. Weights are the percentages themselves (90/10 and 9/1 split alike).
 * The `zone` puts the round-robin state in shared memory, so all workers together keep the split
 * instead of each worker keeping its own.
 */
export function renderNginxUpstream(upstream: string, backends: RouterBackends, weights: TrafficWeights): string {
  return [
    `# Written by rewind (${formatWeights(weights)}); replaced on every switch, do not edit by hand.`,
    `# nginx weights must be >= 1: a backend at 0 % is marked down instead.`,
    `upstream ${upstream} {`,
    `    zone ${upstream} 64k;`,
    serverLine('stable', backends.stable, weights.stable),
    serverLine('canary', backends.canary, weights.canary),
    `}`,
    ``,
  ].join('\n');
}

/** The split a file rendered above holds, or null when it is not one (missing lines, edited by hand). */
export function parseNginxUpstream(text: string): TrafficWeights | null {
  const found: Partial<Record<'stable' | 'canary', number>> = {};
  for (const match of text.matchAll(/^\s*server\s+\S+\s+(?:weight=(\d+)|down);\s*#\s*(stable|canary)\b/gm)) {
    found[match[2] as 'stable' | 'canary'] = match[1] === undefined ? 0 : Number(match[1]);
  }
  if (found.stable === undefined || found.canary === undefined) return null;
  return { stable: found.stable, canary: found.canary };
}

function serverLine(role: 'stable' | 'canary', backend: RouterBackend, weight: number): string {
  return `    server ${hostPort(backend)} ${weight > 0 ? `weight=${weight}` : 'down'}; # ${role}: ${backend.name}`;
}
