import type { Collection, Db } from 'mongodb';

/** One kind of claimable work's signal: bumped when work may have appeared, with the earliest known due time. */
interface SignalDoc {
  _id: string;
  v: number;
  due_at?: Date;
}

/** What a claimer saw when its scan last found nothing. */
interface EmptyScan {
  v: number;
  at: number;
}

/**
 * How long a claimer may go on trusting the signal without scanning: the bound on how late work
 * starts whose signal was lost (a crash between a write and its signal, two signals racing on a
 * server whose updates are not atomic) — never whether it starts.
 */
export const FULL_SCAN_MS = 2_000;

/**
 * Spares claimers the scan of a collection when no claimable work can have appeared since their
 * last scan found none. A scan is what a claim costs on FerretDB 1.x: it looks documents up by
 * `_id` only and reads every document for any other filter (4 ms of its CPU with 16 job records,
 * growing with every job kept; a result publisher polls ten times a second), while reading this
 * signal is one lookup by `_id`.
 *
 * Invariant: every write that makes work claimable calls `raise` after it — at once (`raise()`)
 * or from a time on (`raise(dueAt)`: a retry's next attempt, a lease's expiry). A claimer scans
 * when the signal's version changed since its last empty scan, when a due time has passed since
 * then, or when `FULL_SCAN_MS` of its clock passed; so a signal that is lost or read stale delays
 * work by at most `FULL_SCAN_MS`, and nothing else depends on it. The claimer's clock is the
 * claim's `now`, so a claim in the future (a test, a clock that jumped) scans.
 */
export class ClaimSignal {
  private readonly signals: Collection<SignalDoc>;
  /** Per claimer (kind and owner): a claimer's own leased work is claimable to it only. */
  private readonly emptyScans = new Map<string, EmptyScan>();

  constructor(
    db: Db,
    collection: string,
    private readonly kind: string,
  ) {
    this.signals = db.collection<SignalDoc>(collection);
  }

  /** Work of this kind may be claimable now, or from `dueAt` on. */
  async raise(dueAt?: Date): Promise<void> {
    await this.signals.updateOne({ _id: this.kind }, { $inc: { v: 1 }, ...(dueAt ? { $min: { due_at: dueAt } } : {}) }, { upsert: true });
  }

  /**
   * Runs `scan` unless the signal says it would find nothing for `owner` at `now`; returns what it
   * found (or nothing, unscanned).
   */
  async scan<T>(owner: string, now: Date, scan: () => Promise<T[]>): Promise<T[]> {
    const key = `${this.kind}\u0000${owner}`;
    const signal = (await this.signals.findOne({ _id: this.kind })) ?? { _id: this.kind, v: 0 };
    const at = now.getTime();
    const due = signal.due_at?.getTime();
    const last = this.emptyScans.get(key);
    const quiet =
      last !== undefined && signal.v === last.v && at >= last.at && at - last.at < FULL_SCAN_MS && !(due !== undefined && due <= at && due > last.at);
    if (quiet) return [];
    const found = await scan();
    if (found.length > 0) {
      this.emptyScans.delete(key);
      return found;
    }
    this.emptyScans.set(key, { v: signal.v, at });
    // A due time this scan has passed is spent: clear it, so a later one can take its place ($min).
    if (due !== undefined && due <= at) await this.signals.updateOne({ _id: this.kind, due_at: signal.due_at! }, { $unset: { due_at: '' } });
    return [];
  }
}
