import { startPolling, type LoopTiming } from '../../core/poll-loop.js';
import { relayRound, type RelayDeps } from './relay.js';

/** The outbox relay stage: relays rounds until stopped; `poke` when an event was just inserted. */
export function startRelay(deps: RelayDeps, timing: LoopTiming) {
  return startPolling(() => relayRound(deps), timing, (err) => deps.log.error({ err }, 'relay round failed'));
}
