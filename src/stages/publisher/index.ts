import { startPolling, type LoopTiming } from '../../core/poll-loop.js';
import { publishRound, type PublishDeps } from './publish-results.js';

/** The result publisher stage: writes predictions of `predictable` jobs until stopped. */
export function startResultPublisher(deps: PublishDeps, timing: LoopTiming) {
  return startPolling(() => publishRound(deps), timing, (err) => deps.log.error({ err }, 'publisher round failed'));
}
