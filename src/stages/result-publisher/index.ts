import { startPolling, type LoopTiming } from '../../core/poll-loop.js';
import { startRetentionSweep, type Retention } from '../../core/retention.js';
import { publishRound, type PublishDeps } from './publish-results.js';

/** The result publisher stage: writes predictions of `predictable` jobs until stopped; expires its dead letters. */
export function startResultPublisher(deps: PublishDeps, timing: LoopTiming, retention: Retention) {
  const publisher = startPolling(
    () => publishRound(deps),
    timing,
    (err) => deps.log.error({ err }, 'publisher round failed'),
  );
  const sweep = startRetentionSweep(
    retention,
    async (_sentBefore, deadBefore) => {
      const n = await deps.resultsDeadLetters.purgeDead(deadBefore);
      if (n > 0) deps.log.info({ dead: n }, 'expired result dead letters removed');
      return n;
    },
    (err) => deps.log.warn({ err }, 'result dead-letter retention sweep failed'),
  );
  return {
    poke: publisher.poke,
    async stop() {
      await Promise.all([publisher.stop(), sweep.stop()]);
    },
  };
}
