import type { Logger } from 'pino';
import type { Claim } from './job.js';
import { isExhausted, retryDelayMs, type RetryPolicy } from './retry-policy.js';
import { isTransient } from './transient.js';

/**
 * The outbox engine, one for both outboxes (jobs → Kafka in the relay, predictions → S3 in the
 * result publisher). Each outbox adapts its store to a `DispatchQueue`; the engine does the rest:
 * claim with a lease, deliver (in a batch when it can), mark done, and on failure back off with
 * jitter or, past the policy's attempts, dead-letter.
 *
 * Outage errors (`isTransient`: the broker or object store is down) are not the item's fault: they
 * end the round uncounted and the poll loop backs off; the items stay leased to this process, which
 * re-claims them next round (a process that dies frees them when the lease expires).
 */
export interface DispatchQueue<T> {
  /** Claims due items (see `Claim`). */
  claim(claim: Claim): Promise<T[]>;
  /** Marks delivered items done (conditional: a repeat is a no-op). */
  complete(items: readonly T[], at: Date): Promise<void>;
  /** Counts a failed attempt and makes the item due again at `nextAttemptAt`. */
  retryLater(item: T, error: string, nextAttemptAt: Date): Promise<void>;
  /** Makes the item a dead letter with the last error. */
  bury(item: T, error: string, at: Date): Promise<void>;
}

/** What the engine reports, for metrics. */
export interface DispatchObserver<T> {
  delivered?(items: readonly T[], at: Date): void;
  retried?(item: T, error: unknown): void;
  buried?(item: T, error: unknown): void;
}

export interface Dispatcher<T> {
  queue: DispatchQueue<T>;
  /** Delivers several items at once (all or nothing); without it items go one by one. */
  deliverBatch?: (items: readonly T[]) => Promise<void>;
  deliverOne: (item: T) => Promise<void>;
  owner: string;
  leaseMs: number;
  batchSize: number;
  policy: RetryPolicy;
  log: Logger;
  /** Log fields naming an item (its event id, trace id). */
  describe: (item: T) => Record<string, unknown>;
  /** Failed attempts so far, as stored with the item. */
  attemptsOf: (item: T) => number;
  observer?: DispatchObserver<T>;
}

/** One round: returns how many items it claimed (0 = idle, the loop backs off). */
export async function dispatchRound<T>(d: Dispatcher<T>): Promise<number> {
  const items = await d.queue.claim({ owner: d.owner, limit: d.batchSize, leaseMs: d.leaseMs, now: new Date() });
  if (items.length === 0) return 0;
  if (d.deliverBatch && items.length > 1) {
    try {
      await d.deliverBatch(items);
      await done(d, items);
      return items.length;
    } catch (err) {
      if (isTransient(err)) throw err;
      // One bad item must not hold back the rest: deliver one by one to find it.
      d.log.warn({ err, count: items.length }, 'batch delivery failed; delivering one by one');
    }
  }
  for (const item of items) {
    try {
      await d.deliverOne(item);
      await done(d, [item]);
    } catch (err) {
      if (isTransient(err)) throw err;
      await failed(d, item, err);
    }
  }
  return items.length;
}

async function done<T>(d: Dispatcher<T>, items: readonly T[]): Promise<void> {
  const at = new Date();
  await d.queue.complete(items, at);
  d.observer?.delivered?.(items, at);
}

async function failed<T>(d: Dispatcher<T>, item: T, err: unknown): Promise<void> {
  const attempts = d.attemptsOf(item) + 1;
  const error = (err instanceof Error ? err.message : String(err)).slice(0, 2000);
  const now = new Date();
  if (isExhausted(d.policy, attempts)) {
    await d.queue.bury(item, error, now);
    d.observer?.buried?.(item, err);
    d.log.error({ ...d.describe(item), attempts, err }, 'delivery failed for the last time; dead-lettered');
    return;
  }
  const next = new Date(now.getTime() + retryDelayMs(d.policy, attempts));
  await d.queue.retryLater(item, error, next);
  d.observer?.retried?.(item, err);
  d.log.warn({ ...d.describe(item), attempts, next_attempt_at: next.toISOString(), err }, 'delivery failed; will retry');
}
