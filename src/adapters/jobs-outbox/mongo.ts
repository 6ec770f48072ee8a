import { isDuplicate } from '../mongo/write-errors.js';
import type { Filter } from 'mongodb';
import type { MongoOutboxCollections } from '../mongo/outbox-collections.js';
import { clean, clientKey, type OutboxDoc } from '../mongo/outbox-documents.js';
import { DuplicateIdempotencyKeyError, type JobsOutbox } from '../../ports/jobs-outbox.js';
import type { Claim, NewOutboxEvent, OutboxEvent } from '../../core/job.js';

/**
 * A keyed insert is due only once it has been checked against the archive (then at once), or after
 * this hold if the inserting process died between the insert and the check (its client, told
 * nothing, retries under the key and finds the event).
 */
const KEYED_INSERT_HOLD_MS = 30_000;
/** The insert a client is told "ok" about: acknowledged by a majority, in the journal (real MongoDB). */
const DURABLE = { writeConcern: { w: 'majority' as const, j: true } };

/** The jobs outbox in MongoDB: the work list `outbox`, archived to `outbox_sent` (see `MongoOutboxCollections`). */
export class MongoJobsOutbox implements JobsOutbox {
  constructor(private readonly db: MongoOutboxCollections) {}

  async insert(e: NewOutboxEvent, idempotencyKey?: string): Promise<void> {
    if (await this.db.sent.findOne({ _id: e._id }, { projection: { _id: 1 } })) throw new Error(`event ${e._id} exists (sent)`);
    const keyed = idempotencyKey !== undefined;
    const doc: OutboxDoc = {
      ...e,
      status: 'new',
      attempts: 0,
      next_attempt_at: keyed ? new Date(e.created_at.getTime() + KEYED_INSERT_HOLD_MS) : e.created_at,
      lease_until: new Date(0),
      idempotency_key: keyed ? clientKey(idempotencyKey) : `e:${e._id}`,
    };
    try {
      await this.db.outbox.insertOne(doc, DURABLE);
    } catch (err) {
      // Which unique index refused it: the key's holder decides (error texts differ between servers).
      if (keyed && isDuplicate(err)) {
        const holder = await this.findByIdempotencyKey(idempotencyKey);
        if (holder && holder._id !== e._id) throw new DuplicateIdempotencyKeyError(idempotencyKey);
      }
      throw err;
    }
    if (!keyed) return;
    const archived = await this.db.sent.findOne({ idempotency_key: doc.idempotency_key }, { projection: { _id: 1 } });
    if (archived && archived._id !== e._id) {
      await this.db.outbox.deleteOne({ _id: e._id });
      throw new DuplicateIdempotencyKeyError(idempotencyKey);
    }
    await this.db.outbox.updateOne({ _id: e._id, status: 'new' }, { $set: { next_attempt_at: e.created_at } }, DURABLE);
  }

  async findByIdempotencyKey(key: string): Promise<OutboxEvent | undefined> {
    const d = (await this.db.outbox.findOne({ idempotency_key: clientKey(key) })) ?? (await this.db.sent.findOne({ idempotency_key: clientKey(key) }));
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
    const claimable: Filter<OutboxDoc> = { status: 'new', next_attempt_at: { $lte: c.now }, $or: [{ lease_until: { $lte: c.now } }, { lease_owner: c.owner }] };
    const due = async (limit: number) =>
      (
        await this.db.outbox
          .find(claimable, { projection: { _id: 1 } })
          .sort({ created_at: 1, _id: 1 })
          .limit(limit)
          .toArray()
      ).map((d) => d._id);
    let candidates = await due(c.limit);
    if (candidates.length === 0) return [];
    const others = await this.db.leases.heldByOthers(c.owner, c.now);
    if (candidates.some((id) => others.has(id))) candidates = (await due(c.limit + others.size)).filter((id) => !others.has(id)).slice(0, c.limit);
    if (candidates.length === 0) return [];
    const until = new Date(c.now.getTime() + c.leaseMs);
    const won = [...(await this.db.leases.take(candidates, c.owner, c.now, until))];
    if (won.length === 0) return [];
    const docs = await this.db.outbox
      .find({ _id: { $in: won }, status: 'new' })
      .sort({ created_at: 1, _id: 1 })
      .toArray();
    this.db.remember(docs);
    return docs.map(clean);
  }

  /** Archives the events still `new`, then removes them from the work list (see `MongoOutboxCollections`). */
  async markSent(ids: readonly string[], at: Date): Promise<number> {
    if (ids.length === 0) return 0;
    const known = ids.map((id) => this.db.claimed.get(id)).filter((d) => d !== undefined);
    const missing = ids.filter((id) => !this.db.claimed.has(id));
    const read = missing.length > 0 ? await this.db.outbox.find({ _id: { $in: missing } }).toArray() : [];
    const moved = await this.db.archive(
      [...known, ...read].filter((d) => d.status === 'new'),
      at,
    );
    for (const id of ids) this.db.claimed.delete(id);
    return moved;
  }

  /** Called by the lease holder after a failed attempt: frees the event's lease. */
  async recordFailure(id: string, error: string, nextAttemptAt: Date): Promise<boolean> {
    this.db.claimed.delete(id);
    const r = await this.db.outbox.updateOne(
      { _id: id, status: 'new' },
      { $inc: { attempts: 1 }, $set: { last_error: error, next_attempt_at: nextAttemptAt, lease_until: new Date(0) }, $unset: { lease_owner: '' } },
    );
    if (r.modifiedCount === 1) await this.db.leases.release([id]);
    return r.modifiedCount === 1;
  }

  async markDead(id: string, error: string, at: Date): Promise<boolean> {
    this.db.claimed.delete(id);
    const r = await this.db.outbox.updateOne(
      { _id: id, status: 'new' },
      { $inc: { attempts: 1 }, $set: { status: 'dead', last_error: error, dead_at: at, lease_until: new Date(0) }, $unset: { lease_owner: '' } },
    );
    if (r.modifiedCount === 1) await this.db.leases.release([id]); // a replayed dead letter is claimable at once
    return r.modifiedCount === 1;
  }
}
