import type { Collection, Db } from 'mongodb';
import type { OutboxStore } from '../../ports/outbox-store.js';
import type { Claim, OutboxEvent, OutboxStatus } from '../../core/job.js';

/** The stored document: the event plus its lease (`lease_until` starts at the epoch: free). */
type Doc = OutboxEvent & { lease_until: Date; lease_owner?: string };

/** `main_db.outbox` in MongoDB (also FerretDB): one document per job, conditional status updates. */
export class MongoOutboxStore implements OutboxStore {
  private readonly outbox: Collection<Doc>;

  constructor(db: Db) {
    this.outbox = db.collection<Doc>('outbox');
  }

  async ensureIndexes(): Promise<void> {
    await this.outbox.createIndex({ status: 1, lease_until: 1, created_at: 1 });
  }

  async insert(e: OutboxEvent): Promise<void> {
    await this.outbox.insertOne({ ...e, lease_until: new Date(0) });
  }

  async claimNew(c: Claim): Promise<OutboxEvent[]> {
    const claimed: OutboxEvent[] = [];
    // One atomic findOneAndUpdate per event: concurrent relays can never take the same one.
    while (claimed.length < c.limit) {
      const d = await this.outbox.findOneAndUpdate(
        { status: 'new', $or: [{ lease_until: { $lte: c.now } }, { lease_owner: c.owner }], _id: { $nin: claimed.map((x) => x._id) } },
        { $set: { lease_until: new Date(c.now.getTime() + c.leaseMs), lease_owner: c.owner } },
        { sort: { created_at: 1, _id: 1 }, returnDocument: 'after' },
      );
      if (!d) break;
      claimed.push(clean(d));
    }
    return claimed;
  }

  async markSent(eventId: string, at: Date): Promise<boolean> {
    const r = await this.outbox.updateOne({ _id: eventId, status: 'new' }, { $set: { status: 'sent', sent_at: at } });
    return r.modifiedCount === 1;
  }

  async get(eventId: string): Promise<OutboxEvent | undefined> {
    const d = await this.outbox.findOne({ _id: eventId });
    return d ? clean(d) : undefined;
  }

  async list(): Promise<OutboxEvent[]> {
    return (await this.outbox.find({}).sort({ created_at: 1, _id: 1 }).toArray()).map(clean);
  }

  async countByStatus(): Promise<Partial<Record<OutboxStatus, number>>> {
    const rows = await this.outbox.aggregate<{ _id: OutboxStatus; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }]).toArray();
    return Object.fromEntries(rows.map((r) => [r._id, r.n]));
  }

  async deleteAll(): Promise<void> {
    await this.outbox.deleteMany({});
  }
}

function clean(d: Doc): OutboxEvent {
  return {
    _id: d._id,
    status: d.status,
    payload: { bucket: d.payload.bucket, object: d.payload.object, media_type: d.payload.media_type },
    created_at: d.created_at,
    ...(d.sent_at ? { sent_at: d.sent_at } : {}),
  };
}
