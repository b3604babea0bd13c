import type { HealthCheckConfig } from '../../config/parts/check-settings.js';
import { failed, succeeded, type Outcome } from '../../ports/outcome.js';
import { noProgress, type ProgressReporter } from '../../ports/step-progress.js';
import { pickJsonPath as pick } from '../../util/json-path.js';
import { urlWithoutPassword } from '../../util/url-credentials.js';
import { plainHttpRequest } from './plain-http-request.js';

export interface HealthProbeResult {
  ok: boolean;
  status?: number;
  reason: string;
  ms: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One probe: status and JSON expectations, bounded by the per-attempt timeout. */
export async function probeOnce(config: HealthCheckConfig, version: string): Promise<HealthProbeResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    const response = await plainHttpRequest(config.url, { method: config.method, headers: config.headers, timeoutMs: config.timeoutMs });
    const expected = Array.isArray(config.expectStatus) ? config.expectStatus : [config.expectStatus];
    const text = config.method === 'HEAD' ? '' : response.text;
    if (!expected.includes(response.status)) return { ok: false, status: response.status, reason: `status ${response.status}, expected ${expected.join('|')}`, ms: ms() };
    if (config.json) {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return { ok: false, status: response.status, reason: 'body is not JSON', ms: ms() };
      }
      for (const [path, want] of Object.entries(config.json)) {
        const expectedValue = typeof want === 'string' ? want.replaceAll('{{version}}', version) : want;
        const actual = pick(body, path);
        if (actual !== expectedValue) {
          return { ok: false, status: response.status, reason: `${path} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expectedValue)}`, ms: ms() };
        }
      }
    }
    return { ok: true, status: response.status, reason: `status ${response.status}`, ms: ms() };
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason = (error as Error).name === 'TimeoutError' ? `timed out after ${config.timeoutMs} ms` : (code ?? (error as Error).message);
    return { ok: false, reason, ms: ms() };
  }
}

/**
 * Probes until healthy or out of retries: readiness delay, then up to 1 + retries attempts with
 * exponential backoff. Returns a value; an unhealthy release is `failed`, not an exception.
 * Each failed attempt that will be retried is reported to `progress` ("attempt 3/7: status 500,
 * expected 200; next in 800 ms"), as is a readiness delay, so the wait is never silent.
 */
export async function checkHealth(config: HealthCheckConfig, version: string, progress: ProgressReporter = noProgress): Promise<Outcome> {
  const started = performance.now();
  const total = config.retries + 1;
  if (config.readinessDelayMs > 0) {
    await progress({ message: `waiting ${config.readinessDelayMs} ms before the first probe (readinessDelayMs)` });
    await sleep(config.readinessDelayMs);
  }
  const attempts: HealthProbeResult[] = [];
  let backoff = config.backoffMs;
  for (let attempt = 0; attempt <= config.retries; attempt++) {
    const result = await probeOnce(config, version);
    attempts.push(result);
    if (result.ok) {
      return succeeded(`healthy: ${config.method} ${urlWithoutPassword(config.url)} → ${result.reason} after ${attempts.length} attempt(s)`, {
        attempts: attempts.length,
        ms: Math.round(performance.now() - started),
      });
    }
    if (attempt < config.retries) {
      await progress({ message: `attempt ${attempt + 1}/${total}: ${result.reason}; next in ${backoff} ms`, current: attempt + 1, total });
      await sleep(backoff);
      backoff = Math.min(backoff * 2, config.maxBackoffMs);
    }
  }
  const last = attempts[attempts.length - 1]!;
  return failed(`unhealthy: ${config.method} ${urlWithoutPassword(config.url)} → ${last.reason} (${attempts.length} attempts)`, {
    attempts: attempts.length,
    lastReason: last.reason,
    lastStatus: last.status,
    ms: Math.round(performance.now() - started),
  });
}
