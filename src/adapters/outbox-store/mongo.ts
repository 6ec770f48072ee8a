import { MongoServerError, type Collection, type Db, type Filter } from 'mongodb';
import { DuplicateIdempotencyKeyError, type OutboxStore, type Purged } from '../../ports/outbox-store.js';
import { VIDEO_SUBMITTED, type Claim, type NewOutboxEvent, type OutboxEvent, type OutboxStatus } from '../../core/job.js';
import { TOPICS } from '../../core/topics.js';
import { MongoLeases } from '../mongo/lease-claims.js';

/**
 * The stored document: the event plus its lease (`lease_until` starts at the epoch: free) and its
 * idempotency key. Every event has a key — the client's (`k:…`) or its own id (`e:…`) — because
 * FerretDB has no partial indexes: a plain unique index must never see two absent keys.
 */
type Doc = OutboxEvent & { lease_until: Date; lease_owner?: string; idempotency_key: string };

const isDuplicate = (err: unknown) => err instanceof MongoServerError && err.code === 11000;
const clientKey = (key: string) => `k:${key}`;

/** `main_db.outbox` in MongoDB (also FerretDB): one document per event, conditional status updates. */
export class MongoOutboxStore implements OutboxStore {
  private readonly outbox: Collection<Doc>;
  private readonly leases: MongoLeases;

  constructor(db: Db) {
    this.outbox = db.collection<Doc>('outbox');
    this.leases = new MongoLeases(db, 'outbox_leases');
  }

  /** Indexes, and the envelope fields events written by version 0.1 lack. Idempotent. */
  async ensureIndexes(): Promise<void> {
    await this.outbox.updateMany(
      { next_attempt_at: { $exists: false } },
      { $set: { next_attempt_at: new Date(0), attempts: 0, event_type: VIDEO_SUBMITTED, aggregate_type: 'job', topic: TOPICS.outboxEvents } },
    );
    for (const d of await this.outbox.find({ idempotency_key: { $exists: false } }, { projection: { _id: 1 } }).toArray()) {
      await this.outbox.updateOne({ _id: d._id }, { $set: { idempotency_key: `e:${d._id}`, aggregate_id: d._id } });
    }
    await this.outbox.createIndex({ status: 1, next_attempt_at: 1, created_at: 1 });
    await this.outbox.createIndex({ idempotency_key: 1 }, { unique: true });
    await this.leases.ensureIndexes();
  }

  async insert(e: NewOutboxEvent, idempotencyKey?: string): Promise<void> {
    const doc: Doc = {
      ...e,
      status: 'new',
      attempts: 0,
      next_attempt_at: e.created_at,
      lease_until: new Date(0),
      idempotency_key: idempotencyKey !== undefined ? clientKey(idempotencyKey) : `e:${e._id}`,
    };
    try {
      await this.outbox.insertOne(doc);
    } catch (err) {
      // Which unique index refused it: the key's holder decides (error texts differ between servers).
      if (idempotencyKey !== undefined && isDuplicate(err)) {
        const holder = await this.findByIdempotencyKey(idempotencyKey);
        if (holder && holder._id !== e._id) throw new DuplicateIdempotencyKeyError(idempotencyKey);
      }
      throw err;
    }
  }

  async findByIdempotencyKey(key: string): Promise<OutboxEvent | undefined> {
    const d = await this.outbox.findOne({ idempotency_key: clientKey(key) });
    return d ? clean(d) : undefined;
  }

  /**
   * Claims in five round trips whatever the batch size (one when there is nothing to do), and writes
   * no event: the relay's throughput depends on it, and FerretDB updates documents one at a time,
   * each scanning the collection. Read due candidates; read the keys other relays hold leases on and,
   * if that hides some candidates, read further; take the leases (`MongoLeases`: a unique insert
   * decides, so racing relays never share an event); read back the won events still `new`.
   * (`lease_until`/`lease_owner` on events are hints written by earlier versions, still honoured.)
   */
  async claimDue(c: Claim): Promise<OutboxEvent[]> {
    const claimable: Filter<Doc> = { status: 'new', next_attempt_at: { $lte: c.now }, $or: [{ lease_until: { $lte: c.now } }, { lease_owner: c.owner }] };
    const due = async (limit: number) => (await this.outbox.find(claimable, { projection: { _id: 1 } }).sort({ created_at: 1, _id: 1 }).limit(limit).toArray()).map((d) => d._id);
    let candidates = await due(c.limit);
    if (candidates.length === 0) return [];
    const others = await this.leases.heldByOthers(c.owner, c.now);
    if (candidates.some((id) => others.has(id))) candidates = (await due(c.limit + others.size)).filter((id) => !others.has(id)).slice(0, c.limit);
    if (candidates.length === 0) return [];
    const until = new Date(c.now.getTime() + c.leaseMs);
    const won = [...(await this.leases.take(candidates, c.owner, c.now, until))];
    if (won.length === 0) return [];
    return (await this.outbox.find({ _id: { $in: won }, status: 'new' }).sort({ created_at: 1, _id: 1 }).toArray()).map(clean);
  }

  async markSent(ids: readonly string[], at: Date): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await this.outbox.updateMany(
      { _id: { $in: [...ids] }, status: 'new' },
      { $set: { status: 'sent', sent_at: at, lease_until: new Date(0) }, $unset: { lease_owner: '' } },
    );
    await this.leases.forget(ids);
    return r.modifiedCount;
  }

  /** Called by the lease holder after a failed attempt: frees the event's lease. */
  async recordFailure(id: string, error: string, nextAttemptAt: Date): Promise<boolean> {
    const r = await this.outbox.updateOne(
      { _id: id, status: 'new' },
      { $inc: { attempts: 1 }, $set: { last_error: error, next_attempt_at: nextAttemptAt, lease_until: new Date(0) }, $unset: { lease_owner: '' } },
    );
    if (r.modifiedCount === 1) await this.leases.release([id]);
    return r.modifiedCount === 1;
  }

  async markDead(id: string, error: string, at: Date): Promise<boolean> {
    const r = await this.outbox.updateOne(
      { _id: id, status: 'new' },
      { $inc: { attempts: 1 }, $set: { status: 'dead', last_error: error, dead_at: at, lease_until: new Date(0) }, $unset: { lease_owner: '' } },
    );
    if (r.modifiedCount === 1) await this.leases.release([id]); // a replayed dead letter is claimable at once
    return r.modifiedCount === 1;
  }

  async listDead(limit: number): Promise<OutboxEvent[]> {
    return (await this.outbox.find({ status: 'dead' }).sort({ dead_at: 1, _id: 1 }).limit(limit).toArray()).map(clean);
  }

  async replay(id: string, at: Date): Promise<boolean> {
    const r = await this.outbox.updateOne({ _id: id, status: 'dead' }, { $set: { status: 'new', attempts: 0, next_attempt_at: at }, $unset: { dead_at: '' } });
    return r.modifiedCount === 1;
  }

  async discard(id: string): Promise<boolean> {
    const deleted = (await this.outbox.deleteOne({ _id: id, status: 'dead' })).deletedCount === 1;
    if (deleted) await this.leases.forget([id]);
    return deleted;
  }

  async purge(sentBefore: Date, deadBefore: Date): Promise<Purged> {
    const sent = await this.outbox.deleteMany({ status: 'sent', sent_at: { $lt: sentBefore } });
    const dead = await this.outbox.deleteMany({ status: 'dead', dead_at: { $lt: deadBefore } });
    // Leases long expired belong to events delivered or deleted (no claimer waits that long).
    await this.leases.purge(sentBefore);
    return { sent: sent.deletedCount, dead: dead.deletedCount };
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
    await this.leases.deleteAll();
  }
}

/** The event without storage fields; absent optional fields stay absent. */
function clean(d: Doc): OutboxEvent {
  return {
    _id: d._id,
    event_type: d.event_type ?? VIDEO_SUBMITTED,
    aggregate_type: d.aggregate_type ?? 'job',
    aggregate_id: d.aggregate_id ?? d._id,
    topic: d.topic ?? TOPICS.outboxEvents,
    status: d.status,
    payload: { bucket: d.payload.bucket, object: d.payload.object, media_type: d.payload.media_type },
    created_at: d.created_at,
    attempts: d.attempts ?? 0,
    next_attempt_at: d.next_attempt_at ?? new Date(0),
    ...(d.last_error ? { last_error: d.last_error } : {}),
    ...(d.traceparent ? { traceparent: d.traceparent } : {}),
    ...(d.sent_at ? { sent_at: d.sent_at } : {}),
    ...(d.dead_at ? { dead_at: d.dead_at } : {}),
  };
}
