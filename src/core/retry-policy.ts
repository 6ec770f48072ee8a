/**
 * When to try a failed delivery again: exponential backoff with jitter, bounded attempts.
 *
 * Attempt n (1-based) that failed waits `min(cap, base · 2^(n-1))`, scaled by a random factor in
 * [0.5, 1) ("equal jitter": spreads retries of events that failed together, yet never retries
 * sooner than half the nominal delay). After `maxAttempts` failed attempts the item is dead-lettered.
 */
export interface RetryPolicy {
  baseMs: number;
  capMs: number;
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 1_000, capMs: 5 * 60_000, maxAttempts: 10 };

/** The wait after failed attempt number `attempts` (1 = the first try failed). */
export function retryDelayMs(policy: RetryPolicy, attempts: number, random: () => number = Math.random): number {
  const nominal = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(nominal * (0.5 + random() * 0.5));
}

/** True when `attempts` failed attempts exhaust the policy. */
export const isExhausted = (policy: RetryPolicy, attempts: number) => attempts >= policy.maxAttempts;
