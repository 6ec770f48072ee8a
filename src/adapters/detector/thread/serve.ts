/**
 * The worker-thread half of a threaded detector: opens a detector in this thread and answers the
 * host's `detect` requests with it, one at a time, in arrival order. A worker entry module is just
 * `serveDetector(open)`.
 */
import { writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { DetectedObject, FrameImage } from '../../../core/types.js';
import type { DetectOptions } from '../../../ports/detector.js';
import type { DetectRequest, ThreadDetectorInfo, WorkerReply } from './protocol.js';

/** What runs inside the worker: a detect function and what it says about itself. */
export interface ThreadLocalDetector<I extends ThreadDetectorInfo> {
  info: I;
  detect(frames: readonly FrameImage[], options?: DetectOptions): Promise<DetectedObject[][]>;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'message' in err) return String(err.message);
  return String(err);
}

/**
 * The Linux name (`comm`) of every detector thread: `top -H`, `/proc/<pid>/task/<tid>/comm` and the
 * bench tell the model's CPU from the rest of the process by it. Threads the detector starts
 * (onnxruntime's intra-op pool) inherit it, so it is set before the detector opens.
 */
export const DETECTOR_THREAD_NAME = 'fw-detector';

function nameThisThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name);
  } catch {
    // Not Linux (or no /proc): the name is only for observing.
  }
}

/** Opens the detector with the spawn-time `workerData`, says `ready` (or `init-error`), then serves. */
export function serveDetector<D, I extends ThreadDetectorInfo>(open: (data: D) => Promise<ThreadLocalDetector<I>>): void {
  const port = parentPort;
  if (!port) throw new Error('a detector worker must be run as a worker thread');
  nameThisThread(DETECTOR_THREAD_NAME);
  const post = (msg: WorkerReply<I>): void => port.postMessage(msg);
  open(workerData as D).then(
    (detector) => {
      let queue: Promise<void> = Promise.resolve();
      port.on('message', (msg: DetectRequest) => {
        if (msg?.type !== 'detect') return;
        queue = queue.then(async () => {
          try {
            post({ type: 'result', id: msg.id, objects: await detector.detect(msg.frames, msg.options) });
          } catch (err) {
            post({ type: 'error', id: msg.id, message: errorMessage(err) });
          }
        });
      });
      post({ type: 'ready', info: detector.info });
    },
    // The host rejects its start-up promise and terminates this worker.
    (err: unknown) => post({ type: 'init-error', message: errorMessage(err) }),
  );
}
