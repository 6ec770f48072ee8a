import { startPolling } from './poll-loop.js';

/** How long delivered outbox items and dead letters are kept, and how often they are swept. */
export interface Retention {
  sentMs: number;
  deadMs: number;
  sweepMs: number;
}

/**
 * Runs `sweep(sentBefore, deadBefore)` every `retention.sweepMs` until stopped (the relay sweeps
 * the jobs outbox, the result publisher its dead letters). Several processes may sweep at once:
 * deletes by date are idempotent.
 */
export function startRetentionSweep(retention: Retention, sweep: (sentBefore: Date, deadBefore: Date) => Promise<number>, onError: (err: unknown) => void) {
  return startPolling(
    async () => {
      const now = Date.now();
      await sweep(new Date(now - retention.sentMs), new Date(now - retention.deadMs));
      return 0;
    },
    { minIntervalMs: retention.sweepMs, maxIntervalMs: retention.sweepMs },
    onError,
  );
}
