import type { Logger } from 'pino';
import type { OutboxStore } from '../../ports/outbox-store.js';
import type { Publisher } from '../../ports/publisher.js';
import { encodeOutboxEvent } from '../../core/messages.js';
import { TOPICS } from '../../core/topics.js';

export interface RelayDeps {
  outbox: OutboxStore;
  bus: Publisher;
  log: Logger;
  batchSize: number;
}

/**
 * One relay round: publish the oldest `new` events to `outbox_events`, then mark them `sent`.
 * Publish-then-mark is what makes it at-least-once: a crash between the two republishes, and the
 * runner ignores the duplicate; marking first could lose an event. Returns how many it relayed.
 */
export async function relayRound(deps: RelayDeps): Promise<number> {
  const events = await deps.outbox.listNew(deps.batchSize);
  if (events.length === 0) return 0;
  await deps.bus.publish(TOPICS.outboxEvents, events.map(encodeOutboxEvent));
  const at = new Date();
  for (const e of events) await deps.outbox.markSent(e._id, at);
  deps.log.debug({ count: events.length }, 'outbox events relayed');
  return events.length;
}
