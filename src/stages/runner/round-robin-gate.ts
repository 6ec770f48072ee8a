/**
 * Slots for frames in flight, shared by every job a runner extracts at once and handed out
 * round-robin by job: while jobs wait for a slot, each gets the next free one in turn, whatever
 * how many frames it has waiting or how early it started. A short job started behind a long one
 * therefore gets half of the detector from its first frame, instead of waiting for the long one
 * to end (measured before: a 6-second clip uploaded behind a 5-minute video waited 92 s to start).
 *
 * `acquire(job)` resolves with the slot's release once one is free; `release` gives it back (once;
 * later calls do nothing). A job that waits alone takes free slots as they come.
 */
export class RoundRobinGate {
  private inUse = 0;
  /** Waiters by job, and the jobs in turn order (the next to serve first). */
  private readonly waiting = new Map<string, Array<() => void>>();
  private readonly turn: string[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  /** Slots held now. */
  get held(): number {
    return this.inUse;
  }

  acquire(job: string): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = (): void => resolve(this.releaser());
      if (this.inUse < this.capacity && this.turn.length === 0) {
        this.inUse++;
        grant();
        return;
      }
      const queue = this.waiting.get(job);
      if (queue) queue.push(grant);
      else {
        this.waiting.set(job, [grant]);
        this.turn.push(job);
      }
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse--;
      this.pump();
    };
  }

  private pump(): void {
    while (this.inUse < this.capacity && this.turn.length > 0) {
      const job = this.turn.shift()!;
      const queue = this.waiting.get(job)!;
      const grant = queue.shift()!;
      // The job goes to the back of the turn if it still waits: one slot per job per turn.
      if (queue.length > 0) this.turn.push(job);
      else this.waiting.delete(job);
      this.inUse++;
      grant();
    }
  }
}
