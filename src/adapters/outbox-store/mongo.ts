import { MongoBulkWriteError, MongoServerError, type Collection, type Db, type Filter } from 'mongodb';
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
/** Only duplicates refused it (an event archived twice): anything else is a real failure. */
const onlyDuplicates = (err: unknown) =>
  (err instanceof MongoBulkWriteError && [err.writeErrors].flat().every((w) => w.code === 11000)) || isDuplicate(err);
const byAge = (a: Doc, b: Doc) => a.created_at.getTime() - b.created_at.getTime() || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);

/**
 * A keyed insert is due only once it has been checked against the archive (then at once), or after
 * this hold if the inserting process died between the insert and the check (its client, told
 * nothing, retries under the key and finds the event).
 */
const KEYED_INSERT_HOLD_MS = 30_000;
/** The insert a client is told "ok" about: acknowledged by a majority, in the journal (real MongoDB). */
const DURABLE = { writeConcern: { w: 'majority' as const, j: true } };
/** Claimed events kept in memory for `markSent` to archive without reading them again. */
const CLAIMED_CACHE_MAX = 20_000;

/**
 * `main_db.outbox` in MongoDB (also FerretDB), in two collections:
 * - `outbox`: the work list — events `new` (waiting, leased or backing off) and `dead`;
 * - `outbox_sent`: events once published (`sent`), until their retention ends.
 *
 * Why two: a relay reads and writes only the work list, so its cost follows the backlog, not a
 * day of history. On FerretDB v1 every query but `{_id: x}` scans its collection and every update
 * rewrites one document per transaction (measured: ~4 ms a document, ~70 µs a scanned one); with
 * sent events in the same collection an idle relay's polls scanned all of them, and marking 500
 * sent took 2 s. Now sending a batch is one insert into `outbox_sent` and one delete from `outbox`,
 * whatever the size of the batch (a crash between them leaves the event in both: claimed and
 * published again, harmless, since consumers drop duplicate event ids, and archived once).
 *
 * Invariants across the two (no transactions on FerretDB): an event id or a client's key names one
 * event. The work list's unique indexes keep it among pending events; an insert also checks the
 * archive (by id, and by key for a keyed insert), and a keyed event stays undue until that check
 * passed, so no relay can publish a duplicate while it is being found out. (A sent event reaches
 * the archive before it leaves the work list, so a duplicate key is in one place or the other.)
 */
export class MongoOutboxStore implements OutboxStore {
  private readonly outbox: Collection<Doc>;
  private readonly sent: Collection<Doc>;
  private readonly leases: MongoLeases;
  private readonly claimed = new Map<string, Doc>();

  constructor(db: Db) {
    this.outbox = db.collection<Doc>('outbox');
    this.sent = db.collection<Doc>('outbox_sent');
    this.leases = new MongoLeases(db, 'outbox_leases');
  }

  /** Indexes, the envelope fields events written by version 0.1 lack, and sent events moved to the archive. Idempotent. */
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
    await this.sent.createIndex({ idempotency_key: 1 });
    await this.sent.createIndex({ sent_at: 1 });
    // `idsOfOwner`: a key's jobs (its limit of unfinished ones).
    await this.outbox.createIndex({ 'payload.owner': 1, status: 1 });
    await this.sent.createIndex({ 'payload.owner': 1 });
    await this.leases.ensureIndexes();
    // Sent events of versions that kept them in the work list: archive first, then remove.
    const legacy = await this.outbox.find({ status: 'sent' }).toArray();
    if (legacy.length > 0) await this.archive(legacy, legacy[0]!.sent_at ?? new Date());
  }

  async insert(e: NewOutboxEvent, idempotencyKey?: string): Promise<void> {
    if (await this.sent.findOne({ _id: e._id }, { projection: { _id: 1 } })) throw new Error(`event ${e._id} exists (sent)`);
    const keyed = idempotencyKey !== undefined;
    const doc: Doc = {
      ...e,
      status: 'new',
      attempts: 0,
      next_attempt_at: keyed ? new Date(e.created_at.getTime() + KEYED_INSERT_HOLD_MS) : e.created_at,
      lease_until: new Date(0),
      idempotency_key: keyed ? clientKey(idempotencyKey) : `e:${e._id}`,
    };
    try {
      await this.outbox.insertOne(doc, DURABLE);
    } catch (err) {
      // Which unique index refused it: the key's holder decides (error texts differ between servers).
      if (keyed && isDuplicate(err)) {
        const holder = await this.findByIdempotencyKey(idempotencyKey);
        if (holder && holder._id !== e._id) throw new DuplicateIdempotencyKeyError(idempotencyKey);
      }
      throw err;
    }
    if (!keyed) return;
    const archived = await this.sent.findOne({ idempotency_key: doc.idempotency_key }, { projection: { _id: 1 } });
    if (archived && archived._id !== e._id) {
      await this.outbox.deleteOne({ _id: e._id });
      throw new DuplicateIdempotencyKeyError(idempotencyKey);
    }
    await this.outbox.updateOne({ _id: e._id, status: 'new' }, { $set: { next_attempt_at: e.created_at } }, DURABLE);
  }

  async findByIdempotencyKey(key: string): Promise<OutboxEvent | undefined> {
    const d = (await this.outbox.findOne({ idempotency_key: clientKey(key) })) ?? (await this.sent.findOne({ idempotency_key: clientKey(key) }));
    return d ? clean(d) : undefined;
  }

  /**
   * Claims in five round trips whatever the batch size (one when there is nothing to do), and writes
   * no event (FerretDB rewrites updated documents one at a time). Read due candidates; read the keys
   * other relays hold leases on and, if that hides some candidates, read further; take the leases
   * (`MongoLeases`: a unique insert decides, so racing relays never share an event); read back the
   * won events still `new` (another relay may have sent one since the first read).
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
    const docs = await this.outbox.find({ _id: { $in: won }, status: 'new' }).sort({ created_at: 1, _id: 1 }).toArray();
    if (this.claimed.size + docs.length > CLAIMED_CACHE_MAX) this.claimed.clear();
    for (const d of docs) this.claimed.set(d._id, d);
    return docs.map(clean);
  }

  /** Archives the events still `new`, then removes them from the work list (see the class comment). */
  async markSent(ids: readonly string[], at: Date): Promise<number> {
    if (ids.length === 0) return 0;
    const known = ids.map((id) => this.claimed.get(id)).filter((d) => d !== undefined);
    const missing = ids.filter((id) => !this.claimed.has(id));
    const read = missing.length > 0 ? await this.outbox.find({ _id: { $in: missing } }).toArray() : [];
    const moved = await this.archive([...known, ...read].filter((d) => d.status === 'new'), at);
    for (const id of ids) this.claimed.delete(id);
    return moved;
  }

  private async archive(docs: Doc[], at: Date): Promise<number> {
    if (docs.length === 0) return 0;
    const ids = docs.map((d) => d._id);
    const sent = docs.map(({ lease_owner: _owner, ...d }) => ({ ...d, status: 'sent' as const, sent_at: d.sent_at ?? at, lease_until: new Date(0) }));
    try {
      await this.sent.insertMany(sent, { ordered: false });
    } catch (err) {
      if (!onlyDuplicates(err)) throw err; // archived by an earlier attempt
    }
    const r = await this.outbox.deleteMany({ _id: { $in: ids }, status: { $in: ['new', 'sent'] } });
    await this.leases.forget(ids);
    return r.deletedCount;
  }

  /** Called by the lease holder after a failed attempt: frees the event's lease. */
  async recordFailure(id: string, error: string, nextAttemptAt: Date): Promise<boolean> {
    this.claimed.delete(id);
    const r = await this.outbox.updateOne(
      { _id: id, status: 'new' },
      { $inc: { attempts: 1 }, $set: { last_error: error, next_attempt_at: nextAttemptAt, lease_until: new Date(0) }, $unset: { lease_owner: '' } },
    );
    if (r.modifiedCount === 1) await this.leases.release([id]);
    return r.modifiedCount === 1;
  }

  async markDead(id: string, error: string, at: Date): Promise<boolean> {
    this.claimed.delete(id);
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
    const sent = await this.sent.deleteMany({ sent_at: { $lt: sentBefore } });
    const dead = await this.outbox.deleteMany({ status: 'dead', dead_at: { $lt: deadBefore } });
    // Leases long expired belong to events delivered or deleted (no claimer waits that long).
    await this.leases.purge(sentBefore);
    return { sent: sent.deletedCount, dead: dead.deletedCount };
  }

  async get(eventId: string): Promise<OutboxEvent | undefined> {
    const d = (await this.outbox.findOne({ _id: eventId })) ?? (await this.sent.findOne({ _id: eventId }));
    return d ? clean(d) : undefined;
  }

  /** Oldest first; an event caught between archive and removal appears once, as sent. */
  async list(): Promise<OutboxEvent[]> {
    const sent = await this.sent.find({}).toArray();
    const archived = new Set(sent.map((d) => d._id));
    const pending = (await this.outbox.find({}).toArray()).filter((d) => !archived.has(d._id));
    return [...pending, ...sent].sort(byAge).map(clean);
  }

  async countByStatus(): Promise<Partial<Record<OutboxStatus, number>>> {
    const rows = await this.outbox.aggregate<{ _id: OutboxStatus; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }]).toArray();
    const counts: Partial<Record<OutboxStatus, number>> = Object.fromEntries(rows.map((r) => [r._id, r.n]));
    const sent = await this.sent.estimatedDocumentCount(); // from metadata on MongoDB; a scrape must stay cheap
    if (sent > 0) counts.sent = (counts.sent ?? 0) + sent;
    return counts;
  }

  /** Pending and dead events from the work list, sent ones from the archive; an event in both (see `archive`) once. */
  async idsOfOwner(owner: string, statuses: readonly OutboxStatus[]): Promise<string[]> {
    const pending = statuses.filter((s) => s !== 'sent');
    const [work, archived] = await Promise.all([
      pending.length > 0 ? this.outbox.find({ 'payload.owner': owner, status: { $in: pending } }, { projection: { _id: 1 } }).toArray() : [],
      statuses.includes('sent') ? this.sent.find({ 'payload.owner': owner }, { projection: { _id: 1 } }).toArray() : [],
    ]);
    return [...new Set([...work, ...archived].map((d) => d._id))];
  }

  async deleteAll(): Promise<void> {
    await this.outbox.deleteMany({});
    await this.sent.deleteMany({});
    await this.leases.deleteAll();
    this.claimed.clear();
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
    payload: {
      bucket: d.payload.bucket,
      object: d.payload.object,
      media_type: d.payload.media_type,
      ...(d.payload.model ? { model: d.payload.model } : {}),
      ...(d.payload.options ? { options: d.payload.options } : {}),
      ...(d.payload.owner ? { owner: d.payload.owner } : {}),
    },
    created_at: d.created_at,
    attempts: d.attempts ?? 0,
    next_attempt_at: d.next_attempt_at ?? new Date(0),
    ...(d.last_error ? { last_error: d.last_error } : {}),
    ...(d.traceparent ? { traceparent: d.traceparent } : {}),
    ...(d.sent_at ? { sent_at: d.sent_at } : {}),
    ...(d.dead_at ? { dead_at: d.dead_at } : {}),
  };
}
