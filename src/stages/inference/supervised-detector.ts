import type { Logger } from 'pino';
import { DetectorCrashedError, type Detector } from '../../ports/detector.js';

/**
 * Keeps an inference worker detecting when its model thread dies (an out-of-memory abort, a native
 * crash): the call that met the crash rejects as usual — it counts as a failed attempt, so a frame
 * that crashes the model every time ends in a dead letter instead of looping — and a new detector
 * is started for the calls after it. Concurrent calls that met the same crash share one restart;
 * restarts back off (1 s doubling to 30 s) while they keep failing.
 */
export async function supervisedDetector(start: () => Promise<Detector>, log: Logger): Promise<Detector> {
  let current = await start();
  let restarting: Promise<void> | undefined;
  let closed = false;
  let failures = 0;

  const restart = (crashed: Detector): Promise<void> =>
    (restarting ??= (async () => {
      await crashed.close().catch(() => {});
      for (;;) {
        if (closed) return;
        try {
          current = await start();
          failures = 0;
          log.warn({ detector: current.name }, 'detector restarted after a crash');
          return;
        } catch (err) {
          const wait = Math.min(30_000, 1000 * 2 ** failures++);
          log.error({ err, retry_in_ms: wait }, 'detector failed to restart');
          await new Promise((r) => setTimeout(r, wait));
        }
      }
    })().finally(() => (restarting = undefined)));

  return {
    get name() {
      return current.name;
    },
    get sha256() {
      return current.sha256;
    },
    async detect(frames, options) {
      if (restarting) await restarting;
      const detector = current;
      try {
        return await detector.detect(frames, options);
      } catch (err) {
        if (err instanceof DetectorCrashedError && !closed) {
          log.error({ err }, 'detector crashed; restarting it');
          void restart(detector);
        }
        throw err;
      }
    },
    async close() {
      closed = true;
      await restarting;
      await current.close();
    },
  };
}
