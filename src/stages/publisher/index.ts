import { pollLoop } from '../../core/poll-loop.js';
import type { LoopTiming } from '../relay/index.js';
import { publishRound, type PublishDeps } from './publish-results.js';

/** The result publisher stage: writes predictions of `predictable` jobs until stopped. */
export function startResultPublisher(deps: PublishDeps, timing: LoopTiming) {
  const stop = new AbortController();
  const loop = pollLoop(() => publishRound(deps), { ...timing, signal: stop.signal, onError: (err) => deps.log.error({ err }, 'publisher round failed') });
  return {
    poke: loop.poke,
    async stop() {
      stop.abort();
      await loop.done;
    },
  };
}
