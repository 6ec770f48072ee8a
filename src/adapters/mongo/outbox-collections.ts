import { onlyDuplicates } from './write-errors.js';
import type { Collection, Db } from 'mongodb';
import { VIDEO_SUBMITTED } from '../../core/job.js';
import { TOPICS } from '../../core/topics.js';
import { MongoLeases } from './lease-claims.js';
import { type OutboxDoc } from './outbox-documents.js';

/** Claimed events kept in memory for `markSent` to archive without reading them again. */
const CLAIMED_CACHE_MAX = 20_000;

/**
 * `main_db.outbox` in MongoDB (also FerretDB), shared by every jobs-outbox port's adapter of one
 * process (`mongoOutboxDatabase`), in two collections:
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
export class MongoOutboxCollections {
  readonly outbox: Collection<OutboxDoc>;
  readonly sent: Collection<OutboxDoc>;
  readonly leases: MongoLeases;
  /** Claimed events by id (at most `CLAIMED_CACHE_MAX`), for `markSent`; dropped once marked. */
  readonly claimed = new Map<string, OutboxDoc>();

  constructor(db: Db) {
    this.outbox = db.collection<OutboxDoc>('outbox');
    this.sent = db.collection<OutboxDoc>('outbox_sent');
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

  /** Remembers claimed events for `markSent` (the cache starts over when full). */
  remember(docs: readonly OutboxDoc[]): void {
    if (this.claimed.size + docs.length > CLAIMED_CACHE_MAX) this.claimed.clear();
    for (const d of docs) this.claimed.set(d._id, d);
  }

  /** Archives `docs` as sent, then removes them from the work list (see the class comment); returns how many left it. */
  async archive(docs: OutboxDoc[], at: Date): Promise<number> {
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
}
