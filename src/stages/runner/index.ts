import type { Subscriber } from '../../ports/bus-subscriber.js';
import { GROUPS, TOPICS } from '../../core/topics.js';
import { startPolling } from '../../core/poll-loop.js';
import { route } from '../../handler-middleware/handler.js';
import { logging } from '../../handler-middleware/logging.js';
import { tracing } from '../../handler-middleware/tracing.js';
import { deadLetter } from '../../handler-middleware/dead-letter.js';
import { decodeOutboxEvent, decodeSegmentTask } from '../../core/messages.js';
import type { DeliveredMessage } from '../../ports/bus-message.js';
import { extractFrames, extractSegment, type ExtractDeps } from './extract.js';
import { collectResult } from '../collector/collect.js';
import { redriveStalled } from './redrive.js';
import { RoundRobinGate } from './round-robin-gate.js';

export interface RunnerDeps extends ExtractDeps {
  subscriber: Subscriber;
  /** Jobs this runner extracts at once; their frames share its slots round-robin (`RoundRobinGate`). */
  concurrency: number;
  /** Deliveries of a message whose handler keeps failing before it is dead-lettered. */
  maxAttempts: number;
  stallTimeoutMs: number;
  maxStallRedrives: number;
}

/**
 * Results a runner collects at once. Storing one is a few database round trips; with several in
 * hand, a store may write a job's results together (the MongoDB store does: one insert, one count
 * update, one read for all of them), and a slow write no longer holds up the next message.
 */
const COLLECTOR_CONCURRENCY = 16;

/**
 * The runner stage: extraction from `outbox_events`, collection from `inference_results`, and a
 * sweep that drives stalled jobs again. Resolves once subscribed; `stop` ends the sweep (the
 * subscriptions end when the bus closes).
 */
export async function startRunner(runner: RunnerDeps): Promise<{ stop: () => Promise<void> }> {
  // One gate for every job this runner extracts: frames in flight, round-robin by job; and one
  // for its extraction slots (whole videos and segments alike), round-robin by job too.
  const deps: RunnerDeps = {
    ...runner,
    gate: runner.gate ?? new RoundRobinGate(runner.maxFramesInFlight),
    extractionGate: runner.extractionGate ?? new RoundRobinGate(runner.concurrency),
  };
  await deps.subscriber.subscribe(
    TOPICS.outboxEvents,
    route(
      extractFrames,
      deps,
      tracing('extract'),
      logging(deps.log),
      deadLetter<ExtractDeps>({
        publisher: deps.bus,
        log: deps.log,
        maxAttempts: deps.maxAttempts,
        onDeadLettered: (m) => deps.metrics?.consumerDeadLetters.inc({ topic: m.topic }),
        // A job whose extraction keeps failing ends `failed` rather than waiting forever.
        onGiveUp: async (message, err, d) => {
          const event = tryOutboxEvent(message.value);
          if (event)
            await d.frameCollection.markFailed(event._id, `frame extraction failed: ${err instanceof Error ? err.message : String(err)}`, new Date(), {
              created_at: new Date(event.created_at),
              input: event.payload,
            });
        },
      }),
    ),
    { group: GROUPS.runner, concurrency: deps.concurrency },
  );
  const failJob = async (message: DeliveredMessage, err: unknown, d: ExtractDeps): Promise<void> => {
    const id = tryOutboxEvent(message.value)?._id ?? tryJobOfSegment(message.value);
    if (id) await d.frameCollection.markFailed(id, `frame extraction failed: ${err instanceof Error ? err.message : String(err)}`, new Date());
  };
  // A runner takes only the segments it can extract now (its concurrency): the rest stay on the bus
  // for the other runners. Short videos are not segmented (they are extracted from outbox_events),
  // and every extraction takes its slot from one gate, round-robin by job, so a short job is never
  // queued behind a long one's segments.
  await deps.subscriber.subscribe(
    TOPICS.videoSegments,
    route(
      extractSegment,
      deps,
      tracing('extract'),
      logging(deps.log),
      deadLetter<ExtractDeps>({
        publisher: deps.bus,
        log: deps.log,
        maxAttempts: deps.maxAttempts,
        onDeadLettered: (m) => deps.metrics?.consumerDeadLetters.inc({ topic: m.topic }),
        onGiveUp: failJob,
      }),
    ),
    { group: GROUPS.segmentRunner, concurrency: deps.concurrency },
  );
  await deps.subscriber.subscribe(
    TOPICS.inferenceResults,
    route(
      collectResult,
      deps,
      tracing('collect'),
      logging(deps.log),
      deadLetter({
        publisher: deps.bus,
        log: deps.log,
        maxAttempts: deps.maxAttempts,
        onDeadLettered: (m) => deps.metrics?.consumerDeadLetters.inc({ topic: m.topic }),
      }),
    ),
    { group: GROUPS.collector, concurrency: COLLECTOR_CONCURRENCY },
  );
  const sweepMs = Math.min(60_000, Math.max(250, Math.floor(deps.stallTimeoutMs / 4)));
  return startPolling(
    () => redriveStalled(deps),
    { minIntervalMs: sweepMs, maxIntervalMs: sweepMs },
    (err) => deps.log.warn({ err }, 'stalled-job sweep failed'),
  );
}

function tryJobOfSegment(value: Buffer): string | undefined {
  try {
    return decodeSegmentTask(value).event_id;
  } catch {
    return undefined;
  }
}

function tryOutboxEvent(value: Buffer): ReturnType<typeof decodeOutboxEvent> | undefined {
  try {
    return decodeOutboxEvent(value);
  } catch {
    return undefined;
  }
}
