import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';

/**
 * Retries `connect` with exponential backoff (0.5 s doubling to 10 s) until it succeeds or
 * `signal` aborts, logging what it waits for: a stage starts before its dependencies and waits.
 */
export async function waitFor<T>(what: string, connect: () => Promise<T>, log: Logger, signal?: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const value = await connect();
      if (attempt > 0) log.info({ dependency: what }, 'dependency reachable');
      return value;
    } catch (err) {
      signal?.throwIfAborted();
      const wait = Math.min(10_000, 500 * 2 ** Math.min(attempt, 5));
      log.warn({ dependency: what, err: (err as Error).message, retry_in_ms: wait }, `waiting for ${what}`);
      await sleep(wait, undefined, signal ? { signal } : undefined);
    }
  }
}
