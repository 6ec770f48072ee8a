import type { Detector } from '../../ports/detector.js';
import type { DetectedObject, FrameImage } from '../../core/types.js';

export interface BatchingOptions {
  /** Most frames in one call to the model (B). */
  maxBatch: number;
  /** Longest a frame waits for others to join its batch while the model has room (T, ms). */
  maxWaitMs: number;
  /**
   * Batches handed to the model at once: 2 lets the next batch be prepared (decoded, letterboxed)
   * while one runs.
   */
  maxOutstanding?: number;
}

interface Waiting {
  frames: readonly FrameImage[];
  resolve: (objects: DetectedObject[][]) => void;
  reject: (err: unknown) => void;
}

/**
 * Merges concurrent `detect` calls into batches for the model: a batch is sent when it holds
 * `maxBatch` frames, or `maxWaitMs` after its first frame arrived — and only while fewer than
 * `maxOutstanding` batches are with the model, so under load frames gather while the model works
 * and batches fill by themselves. Each caller gets its own frames' results, in order; when a
 * batch fails, each of its calls is tried once more alone, so only the bad one fails. A call of more than
 * `maxBatch` frames goes as one batch of its own. `close` sends what waits, then closes the model.
 */
export function batchingDetector(inner: Detector, opts: BatchingOptions): Detector {
  const maxOutstanding = opts.maxOutstanding ?? 2;
  const waiting: Waiting[] = [];
  let waitingFrames = 0;
  let outstanding = 0;
  /** The oldest waiting frame has waited `maxWaitMs`: send even a part batch. */
  let due = false;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const take = (): Waiting[] => {
    const batch: Waiting[] = [];
    let frames = 0;
    while (waiting.length > 0 && (batch.length === 0 || frames + waiting[0]!.frames.length <= opts.maxBatch)) {
      const next = waiting.shift()!;
      frames += next.frames.length;
      batch.push(next);
    }
    waitingFrames -= frames;
    return batch;
  };

  const send = (batch: Waiting[]): void => {
    outstanding++;
    inner
      .detect(batch.flatMap((w) => w.frames))
      .then(
        (objects): void => {
          let at = 0;
          for (const w of batch) {
            w.resolve(objects.slice(at, at + w.frames.length));
            at += w.frames.length;
          }
        },
        // One bad frame must not fail its batch-mates (and use up their attempts): each call of a
        // failed batch is tried again on its own, and only what fails alone fails.
        async (err: unknown): Promise<void> => {
          if (batch.length === 1) return batch[0]!.reject(err);
          await Promise.all(batch.map((w) => inner.detect(w.frames).then(w.resolve, w.reject)));
        },
      )
      .finally(() => {
        outstanding--;
        pump();
      });
  };

  function pump(): void {
    while (waiting.length > 0 && outstanding < maxOutstanding && (waitingFrames >= opts.maxBatch || due)) {
      send(take());
      // What is left starts a new batch, with its own deadline.
      due = false;
      clearTimeout(timer);
      timer = undefined;
    }
    if (waiting.length === 0) {
      clearTimeout(timer);
      timer = undefined;
      due = false;
    } else if (!timer && !due) {
      // A new batch starts gathering: it goes when full or when this fires, whichever is first.
      timer = setTimeout(() => {
        timer = undefined;
        due = true;
        pump();
      }, opts.maxWaitMs);
    }
  }

  return {
    get name() {
      return inner.name;
    },
    get sha256() {
      return inner.sha256;
    },
    detect(frames) {
      if (closed) return Promise.reject(new Error(`detector ${inner.name} is closed`));
      if (frames.length === 0) return Promise.resolve([]);
      return new Promise<DetectedObject[][]>((resolve, reject) => {
        waiting.push({ frames, resolve, reject });
        waitingFrames += frames.length;
        pump();
      });
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      while (waiting.length > 0) send(take()); // what waits goes now; the model's close lets it finish
      await inner.close();
    },
  };
}
