import type { Subscriber } from '../../ports/subscriber.js';
import { GROUPS, TOPICS } from '../../core/topics.js';
import { route } from '../../middleware/handler.js';
import { logging } from '../../middleware/logging.js';
import { deadLetter } from '../../middleware/dead-letter.js';
import { decodeOutboxEvent } from '../../core/messages.js';
import { extractFrames, type ExtractDeps } from './extract.js';
import { collectResult } from './collect.js';

/** Attempts before a message that keeps failing is dead-lettered. */
const MAX_ATTEMPTS = 5;

/** The runner stage: extraction from `outbox_events`, collection from `inference_results`. */
export async function startRunner(deps: ExtractDeps & { subscriber: Subscriber }): Promise<void> {
  await deps.subscriber.subscribe(
    TOPICS.outboxEvents,
    route(
      extractFrames,
      deps,
      logging(deps.log),
      deadLetter<ExtractDeps>({
        publisher: deps.bus,
        log: deps.log,
        maxAttempts: MAX_ATTEMPTS,
        // A job whose extraction keeps failing ends `failed` rather than waiting forever.
        onGiveUp: async (message, err, d) => {
          const id = tryEventId(message.value);
          if (id) await d.runs.markFailed(id, `frame extraction failed: ${err instanceof Error ? err.message : String(err)}`, new Date());
        },
      }),
    ),
    { group: GROUPS.runner },
  );
  await deps.subscriber.subscribe(
    TOPICS.inferenceResults,
    route(collectResult, deps, logging(deps.log), deadLetter({ publisher: deps.bus, log: deps.log, maxAttempts: MAX_ATTEMPTS })),
    { group: GROUPS.collector },
  );
}

function tryEventId(value: Buffer): string | undefined {
  try {
    return decodeOutboxEvent(value)._id;
  } catch {
    return undefined;
  }
}
