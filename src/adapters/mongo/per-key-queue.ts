/**
 * Runs calls that share a key one after another, in call order, within this process; calls with
 * different keys run concurrently. Used where a server's updates are not atomic (FerretDB 1.x
 * reads a document, applies the update and writes the whole document back, so two concurrent
 * updates of one document can lose one of them — even updates of different fields).
 */
export class PerKeyQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    // Forget the key once nothing waits on it, so the map holds only keys with work in hand.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
