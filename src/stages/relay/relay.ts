import type { Logger } from 'pino';
import type { JobsOutbox } from '../../ports/jobs-outbox.js';
import type { JobsDeadLetters } from '../../ports/jobs-dead-letters.js';
import type { Publisher } from '../../ports/bus-publisher.js';
import type { OutboxEvent } from '../../core/job.js';
import { encodeOutboxEvent } from '../../core/messages.js';
import { traceIdOf } from '../../core/trace.js';
import type { RetryPolicy } from '../../core/retry-policy.js';
import { dispatchRound, type DispatchObserver } from '../../core/outbox-dispatcher.js';

export interface RelayDeps {
  jobsOutbox: JobsOutbox;
  /** Sent events and dead letters past their retention are purged (`startRelay`). */
  jobsDeadLetters: Pick<JobsDeadLetters, 'purge'>;
  bus: Publisher;
  log: Logger;
  batchSize: number;
  /** This relay's name in its claims. */
  owner: string;
  /** How long a claim lasts: a relay that dies holding events frees them after this. */
  leaseMs: number;
  retry: RetryPolicy;
  observer?: DispatchObserver<OutboxEvent>;
}

/** Publishes events to their topics: one `publish` per topic, all accepted or the call rejects. */
async function publishAll(bus: Publisher, events: readonly OutboxEvent[]): Promise<void> {
  const byTopic = new Map<string, OutboxEvent[]>();
  for (const e of events) byTopic.set(e.topic, [...(byTopic.get(e.topic) ?? []), e]);
  for (const [topic, batch] of byTopic) await bus.publish(topic, batch.map(encodeOutboxEvent));
}

/**
 * One relay round: claim due `new` events (a lease: other relays skip them), publish them in a
 * batch, then mark them `sent`; failures back off and dead-letter (see `dispatchRound`).
 * Publish-then-mark is what makes it at-least-once: a crash between the two republishes, and the
 * runner ignores the duplicate; marking first could lose an event. Returns how many it claimed.
 */
export function relayRound(deps: RelayDeps): Promise<number> {
  return dispatchRound<OutboxEvent>({
    queue: {
      claim: (c) => deps.jobsOutbox.claimDue(c),
      complete: async (events, at) =>
        void (await deps.jobsOutbox.markSent(
          events.map((e) => e._id),
          at,
        )),
      retryLater: async (e, error, next) => void (await deps.jobsOutbox.recordFailure(e._id, error, next)),
      bury: async (e, error, at) => void (await deps.jobsOutbox.markDead(e._id, error, at)),
    },
    deliverBatch: (events) => publishAll(deps.bus, events),
    deliverOne: (e) => publishAll(deps.bus, [e]),
    owner: deps.owner,
    leaseMs: deps.leaseMs,
    batchSize: deps.batchSize,
    policy: deps.retry,
    log: deps.log,
    describe: (e) => ({ event_id: e._id, event_type: e.event_type, trace_id: traceIdOf(e.traceparent) }),
    attemptsOf: (e) => e.attempts,
    observer: deps.observer,
  });
}
