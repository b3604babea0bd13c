import type { DeliveryPolicy } from '../ports/notifier.js';

/**
 * The wait before attempt `attempts + 1`, after `attempts` failed: exponential backoff with full
 * jitter (a uniform draw from 0 to min(maxMs, baseMs·2^(attempts-1))), so receivers that come back
 * after an outage are not hit by every sender at once (AWS Architecture Blog, "Exponential Backoff
 * And Jitter").
 */
export function backoffMs(attempts: number, policy: Pick<DeliveryPolicy, 'baseMs' | 'maxMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.floor(random() * ceiling);
}

/** Whether a receiver's answer means "try later" (timeouts, throttling, server errors) rather than "never" (any other 4xx). */
export function retryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 425 || status === 429;
}
