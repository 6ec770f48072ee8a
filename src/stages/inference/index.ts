import type { Logger } from 'pino';
import type { Subscriber } from '../../ports/bus-subscriber.js';
import { GROUPS, TOPICS } from '../../core/topics.js';
import { route } from '../../handler-middleware/handler.js';
import { logging } from '../../handler-middleware/logging.js';
import { tracing } from '../../handler-middleware/tracing.js';
import { deadLetter } from '../../handler-middleware/dead-letter.js';
import { detectFrame, reportUndetectableFrame, type DetectDeps } from './detect.js';

/** The inference stage: detects frames from `inference_tasks`, `concurrency` at a time. */
export async function startInference(
  deps: DetectDeps & { subscriber: Subscriber; log: Logger; concurrency: number; maxAttempts: number; onDeadLettered?: () => void },
): Promise<void> {
  await deps.subscriber.subscribe(
    TOPICS.inferenceTasks,
    route(
      detectFrame,
      deps,
      tracing('detect'),
      logging(deps.log),
      deadLetter<DetectDeps>({
        publisher: deps.bus,
        log: deps.log,
        maxAttempts: deps.maxAttempts,
        onGiveUp: reportUndetectableFrame,
        onDeadLettered: deps.onDeadLettered,
      }),
    ),
    { group: GROUPS.inference, concurrency: deps.concurrency },
  );
}
