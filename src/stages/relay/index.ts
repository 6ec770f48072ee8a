import { startPolling, type LoopTiming } from '../../core/poll-loop.js';
import { startRetentionSweep, type Retention } from '../../core/retention.js';
import { relayRound, type RelayDeps } from './relay.js';

/**
 * The outbox relay stage: relays rounds until stopped (`poke` when an event was just inserted),
 * and removes sent events and dead letters past their retention.
 */
export function startRelay(deps: RelayDeps, timing: LoopTiming, retention: Retention) {
  const relay = startPolling(
    () => relayRound(deps),
    timing,
    (err) => deps.log.error({ err }, 'relay round failed'),
  );
  const sweep = startRetentionSweep(
    retention,
    async (sentBefore, deadBefore) => {
      const purged = await deps.jobsDeadLetters.purge(sentBefore, deadBefore);
      if (purged.sent + purged.dead > 0) deps.log.info({ ...purged }, 'expired outbox events removed');
      return purged.sent + purged.dead;
    },
    (err) => deps.log.warn({ err }, 'outbox retention sweep failed'),
  );
  return {
    poke: relay.poke,
    async stop() {
      await Promise.all([relay.stop(), sweep.stop()]);
    },
  };
}
