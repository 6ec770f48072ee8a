import { pollLoop } from '../../core/poll-loop.js';
import { relayRound, type RelayDeps } from './relay.js';

export interface LoopTiming {
  minIntervalMs: number;
  maxIntervalMs: number;
}

/** The outbox relay stage: relays rounds until stopped; `poke` when an event was just inserted. */
export function startRelay(deps: RelayDeps, timing: LoopTiming) {
  const stop = new AbortController();
  const loop = pollLoop(() => relayRound(deps), { ...timing, signal: stop.signal, onError: (err) => deps.log.error({ err }, 'relay round failed') });
  return {
    poke: loop.poke,
    async stop() {
      stop.abort();
      await loop.done;
    },
  };
}
