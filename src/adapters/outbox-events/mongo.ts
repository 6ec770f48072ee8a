import type { MongoOutboxCollections } from '../mongo/outbox-collections.js';
import { byAge, clean } from '../mongo/outbox-documents.js';
import type { OutboxEvents } from '../../ports/outbox-events.js';
import type { OutboxEvent, OutboxStatus } from '../../core/job.js';

/** Reads of the jobs outbox in MongoDB, across the work list and the archive (see `MongoOutboxCollections`). */
export class MongoOutboxEvents implements OutboxEvents {
  constructor(private readonly db: MongoOutboxCollections) {}

  async get(eventId: string): Promise<OutboxEvent | undefined> {
    const d = (await this.db.outbox.findOne({ _id: eventId })) ?? (await this.db.sent.findOne({ _id: eventId }));
    return d ? clean(d) : undefined;
  }

  /** Oldest first; an event caught between archive and removal appears once, as sent. */
  async list(): Promise<OutboxEvent[]> {
    const sent = await this.db.sent.find({}).toArray();
    const archived = new Set(sent.map((d) => d._id));
    const pending = (await this.db.outbox.find({}).toArray()).filter((d) => !archived.has(d._id));
    return [...pending, ...sent].sort(byAge).map(clean);
  }

  async countByStatus(): Promise<Partial<Record<OutboxStatus, number>>> {
    const rows = await this.db.outbox.aggregate<{ _id: OutboxStatus; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }]).toArray();
    const counts: Partial<Record<OutboxStatus, number>> = Object.fromEntries(rows.map((r) => [r._id, r.n]));
    const sent = await this.db.sent.estimatedDocumentCount(); // from metadata on MongoDB; a scrape must stay cheap
    if (sent > 0) counts.sent = (counts.sent ?? 0) + sent;
    return counts;
  }

  /** Pending and dead events from the work list, sent ones from the archive; an event in both (see `archive`) once. */
  async idsOfOwner(owner: string, statuses: readonly OutboxStatus[]): Promise<string[]> {
    const pending = statuses.filter((s) => s !== 'sent');
    const [work, archived] = await Promise.all([
      pending.length > 0 ? this.db.outbox.find({ 'payload.owner': owner, status: { $in: pending } }, { projection: { _id: 1 } }).toArray() : [],
      statuses.includes('sent') ? this.db.sent.find({ 'payload.owner': owner }, { projection: { _id: 1 } }).toArray() : [],
    ]);
    return [...new Set([...work, ...archived].map((d) => d._id))];
  }

  async clearBefore(cutoff: Date): Promise<string[]> {
    const before = { created_at: { $lt: cutoff } };
    const [work, archived] = await Promise.all([
      this.db.outbox.find(before, { projection: { _id: 1 } }).toArray(),
      this.db.sent.find(before, { projection: { _id: 1 } }).toArray(),
    ]);
    const ids = [...new Set([...work, ...archived].map((d) => d._id))];
    await this.db.outbox.deleteMany(before);
    await this.db.sent.deleteMany(before);
    await this.db.leases.forget(ids);
    for (const id of ids) this.db.claimed.delete(id);
    return ids;
  }
}
