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
  /** This relay's name in its claims. */
  owner: string;
  /** How long a claim lasts: a relay that dies holding events frees them after this. */
  leaseMs: number;
}

/**
 * One relay round: claim the oldest `new` events (a lease: other relays skip them), publish them to
 * `outbox_events`, then mark them `sent`.
 * Publish-then-mark is what makes it at-least-once: a crash between the two republishes, and the
 * runner ignores the duplicate; marking first could lose an event. Returns how many it relayed.
 */
export async function relayRound(deps: RelayDeps): Promise<number> {
  const events = await deps.outbox.claimNew({ owner: deps.owner, limit: deps.batchSize, leaseMs: deps.leaseMs, now: new Date() });
  if (events.length === 0) return 0;
  await deps.bus.publish(TOPICS.outboxEvents, events.map(encodeOutboxEvent));
  const at = new Date();
  for (const e of events) await deps.outbox.markSent(e._id, at);
  deps.log.debug({ count: events.length }, 'outbox events relayed');
  return events.length;
}
