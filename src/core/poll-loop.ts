import { setTimeout as sleep } from 'node:timers/promises';

export interface PollLoopOptions {
  /** Wait after a round that found work (keeps a busy loop from starving others). */
  minIntervalMs: number;
  /** Longest wait when idle: the wait doubles from min up to this. */
  maxIntervalMs: number;
  signal: AbortSignal;
  onError: (err: unknown) => void;
}

/**
 * Runs `round` until `signal` aborts. `round` returns how much work it did: after work the loop
 * goes again quickly, when idle it backs off exponentially. `poke()` cuts the current wait short
 * (new work is known to exist). Errors are reported and treated as idle rounds.
 */
export function pollLoop(round: () => Promise<number>, opts: PollLoopOptions): { poke: () => void; done: Promise<void> } {
  let wake: AbortController = new AbortController();
  // A poke during a round must not be lost: it is remembered and skips the next wait.
  let poked = false;
  const poke = () => {
    poked = true;
    wake.abort();
  };
  const done = (async () => {
    let wait = opts.minIntervalMs;
    while (!opts.signal.aborted) {
      poked = false;
      let worked = 0;
      try {
        worked = await round();
      } catch (err) {
        opts.onError(err);
      }
      wait = worked > 0 ? opts.minIntervalMs : Math.min(opts.maxIntervalMs, wait * 2);
      if (poked) {
        wait = opts.minIntervalMs;
        continue;
      }
      if (worked > 0 && wait <= 1) continue;
      wake = new AbortController();
      await sleep(worked > 0 ? opts.minIntervalMs : wait, undefined, { signal: AbortSignal.any([opts.signal, wake.signal]) }).catch(() => {});
      if (wake.signal.aborted) wait = opts.minIntervalMs;
    }
  })();
  return { poke, done };
}

export interface LoopTiming {
  minIntervalMs: number;
  maxIntervalMs: number;
}

/**
 * A stage that runs `round` in a poll loop until stopped (the relay, the result publisher):
 * `poke` when new work is known to exist; `stop` lets the current round finish.
 */
export function startPolling(round: () => Promise<number>, timing: LoopTiming, onError: (err: unknown) => void) {
  const stop = new AbortController();
  const loop = pollLoop(round, { ...timing, signal: stop.signal, onError });
  return {
    poke: loop.poke,
    async stop() {
      stop.abort();
      await loop.done;
    },
  };
}
