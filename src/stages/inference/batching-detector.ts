import type { DetectOptions, Detector } from '../../ports/detector.js';
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
  options: DetectOptions | undefined;
  /** Calls of equal keys may share a batch (`optionsKey`). */
  key: string;
  resolve: (objects: DetectedObject[][]) => void;
  reject: (err: unknown) => void;
}

/**
 * One model call has one set of thresholds, so only calls with equal options share a batch. Absent
 * fields are the model's defaults: no options, `{}` and `{iou: undefined}` are equal (jobs that ask
 * nothing batch together), while `{confidence: 0.25}` is not equal to them even where 0.25 is the
 * default (this wrapper does not know the model's defaults).
 */
const optionsKey = (o: DetectOptions | undefined): string => `${o?.confidence ?? ''}/${o?.iou ?? ''}`;

/**
 * Merges concurrent `detect` calls with equal options into batches for the model: a batch is sent
 * when it holds `maxBatch` frames, or when the oldest waiting frame has waited `maxWaitMs` (then its
 * batch goes) — and only while fewer than `maxOutstanding` batches are with the model, so under load
 * frames gather while the model works and batches fill by themselves. Each caller gets its own
 * frames' results, in order; when a batch fails, each of its calls is tried once more alone, so only
 * the bad one fails. A call of more than `maxBatch` frames goes as one batch of its own. `close`
 * sends what waits, then closes the model.
 */
export function batchingDetector(inner: Detector, opts: BatchingOptions): Detector {
  const maxOutstanding = opts.maxOutstanding ?? 2;
  /** Every waiting call, oldest first, whatever its options. */
  const waiting: Waiting[] = [];
  /** Waiting frames by options key. */
  const waitingFrames = new Map<string, number>();
  let outstanding = 0;
  /** The oldest waiting frame has waited `maxWaitMs`: send even a part batch. */
  let due = false;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  /** The oldest waiting calls of options `key`, up to `maxBatch` frames (at least one call). */
  const take = (key: string): Waiting[] => {
    const batch: Waiting[] = [];
    let frames = 0;
    for (let i = 0; i < waiting.length;) {
      const w = waiting[i]!;
      if (w.key !== key) {
        i++;
        continue;
      }
      if (batch.length > 0 && frames + w.frames.length > opts.maxBatch) break;
      waiting.splice(i, 1);
      frames += w.frames.length;
      batch.push(w);
    }
    const left = waitingFrames.get(key)! - frames;
    if (left > 0) waitingFrames.set(key, left);
    else waitingFrames.delete(key);
    return batch;
  };

  /** The options key of a full batch, if one waits. */
  const fullKey = (): string | undefined => {
    for (const [key, frames] of waitingFrames) if (frames >= opts.maxBatch) return key;
    return undefined;
  };

  const send = (batch: Waiting[]): void => {
    outstanding++;
    inner
      .detect(
        batch.flatMap((w) => w.frames),
        batch[0]!.options,
      )
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
          await Promise.all(batch.map((w) => inner.detect(w.frames, w.options).then(w.resolve, w.reject)));
        },
      )
      .finally(() => {
        outstanding--;
        pump();
      });
  };

  function pump(): void {
    while (waiting.length > 0 && outstanding < maxOutstanding) {
      // The oldest frame's batch once it is due, else any full batch.
      const key = due ? waiting[0]!.key : fullKey();
      if (key === undefined) break;
      send(take(key));
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
    detect(frames, options) {
      if (closed) return Promise.reject(new Error(`detector ${inner.name} is closed`));
      if (frames.length === 0) return Promise.resolve([]);
      return new Promise<DetectedObject[][]>((resolve, reject) => {
        const key = optionsKey(options);
        waiting.push({ frames, options, key, resolve, reject });
        waitingFrames.set(key, (waitingFrames.get(key) ?? 0) + frames.length);
        pump();
      });
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      while (waiting.length > 0) send(take(waiting[0]!.key)); // what waits goes now; the model's close lets it finish
      await inner.close();
    },
  };
}
