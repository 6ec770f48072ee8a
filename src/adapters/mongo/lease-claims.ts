import { MongoBulkWriteError, MongoServerError, type Collection, type Db } from 'mongodb';

/** One lease: `{key}#{generation}`, held by `owner` until `lease_until`. */
interface LeaseDoc {
  _id: string;
  key: string;
  generation: number;
  owner: string;
  lease_until: Date;
}

const DUPLICATE = 11000;

/**
 * Exclusive leases decided by a unique insert, for servers whose conditional updates are not
 * atomic under concurrency. FerretDB 1.x on SQLite evaluates an update's filter and applies it in
 * separate steps: six concurrent claimers of 60 events with `findOneAndUpdate({lease free})` took
 * 137–147 leases between them (measured). Its unique indexes, though, are enforced by the storage
 * engine; so are MongoDB's. A lease here is the document `{key}#{g}`: to take a key whose newest
 * lease (generation g, or none) has expired, insert `{key}#{g+1}`. Of any number of racing
 * claimers exactly one insert succeeds; the rest get duplicate-key errors and skip the key.
 * The owner of the newest unexpired lease may take its key again (a restarted process resumes).
 */
export class MongoLeases {
  private readonly leases: Collection<LeaseDoc>;

  constructor(db: Db, collection: string) {
    this.leases = db.collection<LeaseDoc>(collection);
  }

  async ensureIndexes(): Promise<void> {
    await this.leases.createIndex({ key: 1, generation: -1 });
    await this.leases.createIndex({ lease_until: 1 });
  }

  /** Takes the leases it can of `keys` for `owner` until `until`; returns the keys it holds now. */
  async take(keys: readonly string[], owner: string, now: Date, until: Date): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const newest = new Map<string, LeaseDoc>();
    for (const l of await this.leases.find({ key: { $in: [...keys] } }).toArray()) {
      if ((newest.get(l.key)?.generation ?? -1) < l.generation) newest.set(l.key, l);
    }
    const held = new Set<string>();
    const attempts: LeaseDoc[] = [];
    for (const key of keys) {
      const current = newest.get(key);
      if (current && current.lease_until > now && current.owner !== owner) continue; // someone else's
      const generation = (current?.generation ?? 0) + 1;
      attempts.push({ _id: `${key}#${generation}`, key, generation, owner, lease_until: until });
    }
    if (attempts.length === 0) return held;
    const lost = new Set<string>();
    try {
      await this.leases.insertMany(attempts, { ordered: false });
    } catch (err) {
      if (!(err instanceof MongoBulkWriteError) && !(err instanceof MongoServerError && err.code === DUPLICATE)) throw err;
      const writeErrors = err instanceof MongoBulkWriteError ? [err.writeErrors].flat() : [{ code: DUPLICATE, index: 0 }];
      for (const w of writeErrors) {
        if (w.code !== DUPLICATE) throw err;
        lost.add(attempts[w.index]!.key);
      }
    }
    for (const a of attempts) if (!lost.has(a.key)) held.add(a.key);
    return held;
  }

  /** Keys leased now to anyone but `owner` (a claimer skips them without trying). */
  async heldByOthers(owner: string, now: Date): Promise<Set<string>> {
    const held = await this.leases.find({ lease_until: { $gt: now }, owner: { $ne: owner } }, { projection: { key: 1 } }).toArray();
    return new Set(held.map((l) => l.key));
  }

  /** Ends `owner`'s (or, without one, anyone's) leases on `keys` now (after a failed attempt: the key is free once due again). */
  async release(keys: readonly string[], owner?: string): Promise<void> {
    if (keys.length === 0) return;
    await this.leases.updateMany({ key: { $in: [...keys] }, ...(owner !== undefined ? { owner } : {}) }, { $set: { lease_until: new Date(0) } });
  }

  /** Forgets every lease of `keys` (their items can no longer be claimed: delivered, deleted). */
  async forget(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.leases.deleteMany({ key: { $in: [...keys] } });
  }

  /** Removes leases that expired before `before` (left by items deleted elsewhere). */
  async purge(before: Date): Promise<void> {
    await this.leases.deleteMany({ lease_until: { $lt: before } });
  }

  async deleteAll(): Promise<void> {
    await this.leases.deleteMany({});
  }
}
