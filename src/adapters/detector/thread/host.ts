/**
 * The host half of a threaded detector: a `Detector` whose model lives in a `worker_threads`
 * worker (see `serve.ts`), so inference — synchronous in onnxruntime-node, CPU-bound in tfjs WASM —
 * never blocks the thread that consumes the bus, decodes frames and answers health checks.
 *
 * Frames are copied into shared memory the worker reads (a pool of SharedArrayBuffers, each lent
 * to one call until it settles), never transferred: the caller's buffers stay intact, so a failed
 * call can be retried with the same frames. A structured clone would copy each frame twice and
 * leave a fresh buffer per frame for the worker's garbage collector (a megabyte per 640×480 frame,
 * which at 20 frames/s made the collector a tenth of the process's CPU); the pool copies once
 * into memory that is reused.
 *
 * `close` lets the calls already accepted finish, then ends the thread.
 * If the worker dies, every pending and later call rejects with `DetectorCrashedError` (see the
 * `Detector` port): the instance is unusable and a supervisor starts a new one.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { DetectorCrashedError, type DetectOptions, type Detector } from '../../../ports/detector.js';
import type { DetectedObject, FrameImage } from '../../../core/types.js';
import type { DetectRequest, ThreadDetectorInfo, ThreadFrame, WorkerReply } from './protocol.js';
import { checkDetectOptions } from '../thresholds.js';

/**
 * The worker module `name` next to the module at `moduleUrl`, with that module's own extension:
 * `.js` once compiled to `dist/`, `.ts` when running from source under tsx.
 */
export function siblingModule(moduleUrl: string, name: string): URL {
  const ext = path.extname(fileURLToPath(moduleUrl)) || '.js';
  return new URL(`./${name}${ext}`, moduleUrl);
}

function spawn(entry: URL, workerData: unknown): Worker {
  // No `execArgv`: a worker inherits the process's by default, which Node checks nothing of; given
  // explicitly, Node 24 refuses per-process flags in it (ERR_WORKER_INVALID_EXEC_ARGV), such as
  // the test runner's.
  const options = { workerData };
  if (!/\.[mc]?ts$/.test(entry.pathname)) return new Worker(entry, options);
  // From source: on Node 20 a worker does not get tsx's `--import` hooks in time for its entry
  // module (ERR_UNKNOWN_FILE_EXTENSION, privatenumber/tsx#354), so register tsx's ESM loader in the
  // worker first and then import the TypeScript entry.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}

/** Checks frames before they cross threads, so a bad call fails here with the frame's index. */
function checkFrames(frames: readonly FrameImage[]): void {
  for (const [i, f] of frames.entries()) {
    if (!f || !Number.isInteger(f.width) || !Number.isInteger(f.height) || f.width <= 0 || f.height <= 0) {
      throw new Error(`frame ${i}: invalid size ${f?.width}x${f?.height}`);
    }
    if (!(f.data instanceof Uint8Array) || f.data.length !== f.width * f.height * 3) {
      throw new Error(`frame ${i}: data must be ${f.width}x${f.height}x3 = ${f.width * f.height * 3} RGB bytes`);
    }
  }
}

export type ThreadedDetector<I extends ThreadDetectorInfo> = Detector & { readonly info: I };

/**
 * Shared buffers for frames on their way to the worker: `lend` returns one of at least `bytes`
 * (a free one that fits, else a new one rounded up to a MiB), `give` takes it back. Buffers stay
 * with the pool, so steady traffic allocates nothing.
 */
class SharedFramePool {
  private readonly free: SharedArrayBuffer[] = [];

  lend(bytes: number): SharedArrayBuffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const size = this.free[i]!.byteLength;
      if (size >= bytes && (best < 0 || size < this.free[best]!.byteLength)) best = i;
    }
    if (best >= 0) return this.free.splice(best, 1)[0]!;
    return new SharedArrayBuffer(Math.ceil(bytes / 2 ** 20) * 2 ** 20);
  }

  give(buffers: readonly SharedArrayBuffer[]): void {
    this.free.push(...buffers);
    // A burst of large frames is not kept for ever.
    while (this.free.length > 64) this.free.shift();
  }
}

/**
 * Starts the worker `entry` with `workerData` and resolves once its detector is loaded (or rejects
 * with its start-up error). `label` names the detector in errors (`<label> is closed`).
 */
export async function startDetectorThread<I extends ThreadDetectorInfo>(entry: URL, workerData: unknown, label: string): Promise<ThreadedDetector<I>> {
  const worker = spawn(entry, workerData);
  const pending = new Map<number, { resolve: (o: DetectedObject[][]) => void; reject: (e: Error) => void }>();
  /** Every accepted call's promise, so `close` can let them finish. */
  const accepted = new Set<Promise<unknown>>();
  let closing: Promise<void> | undefined;
  let nextId = 1;
  let info: I | undefined;
  let closed = false;
  /** Set once the worker is gone for good; every later call rejects with it. */
  let failure: Error | null = null;

  // Keep the process alive only while work is outstanding, so an idle detector never holds it open.
  const updateRef = (): void => void (pending.size > 0 ? worker.ref() : worker.unref());

  let started!: { resolve: (i: I) => void; reject: (e: Error) => void };
  const ready = new Promise<I>((resolve, reject) => (started = { resolve, reject }));

  const fail = (err: Error): void => {
    failure ??= err;
    if (!info) started.reject(err);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    updateRef();
  };

  worker.on('message', (msg: WorkerReply<I>) => {
    switch (msg.type) {
      case 'ready':
        info = msg.info;
        started.resolve(msg.info);
        updateRef();
        break;
      case 'init-error':
        fail(new Error(`${label} failed to start: ${msg.message}`));
        void worker.terminate();
        break;
      case 'result':
      case 'error': {
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        if (msg.type === 'result') p.resolve(msg.objects);
        else p.reject(new Error(`${label}: detection failed: ${msg.message}`));
        updateRef();
        break;
      }
    }
  });
  worker.on('error', (err: Error) => fail(new DetectorCrashedError(`${label} worker crashed: ${err.message}`, { cause: err })));
  worker.on('messageerror', (err: Error) => fail(new Error(`${label} worker sent an unreadable message: ${err.message}`, { cause: err })));
  worker.on('exit', (code: number) => {
    if (closed) fail(new Error(`${label} is closed`));
    else fail(new DetectorCrashedError(`${label} worker exited unexpectedly (exit code ${code})`));
  });

  const pool = new SharedFramePool();

  let loaded: I;
  try {
    loaded = await ready;
  } catch (err) {
    closed = true;
    await worker.terminate().catch(() => undefined);
    throw err;
  }

  return {
    info: loaded,
    name: loaded.name,
    sha256: loaded.sha256,
    detect(frames: readonly FrameImage[], options?: DetectOptions): Promise<DetectedObject[][]> {
      if (closed) return Promise.reject(new Error(`${label} is closed`));
      if (failure) return Promise.reject(failure);
      try {
        checkFrames(frames);
        checkDetectOptions(options);
      } catch (err) {
        return Promise.reject(err as Error);
      }
      const id = nextId++;
      const lent: SharedArrayBuffer[] = [];
      const shared = (d: Uint8Array): Uint8Array => {
        const buffer = pool.lend(d.byteLength);
        lent.push(buffer);
        const view = new Uint8Array(buffer, 0, d.byteLength);
        view.set(d);
        return view;
      };
      const request: DetectRequest = {
        type: 'detect',
        id,
        frames: frames.map((f): ThreadFrame => ({ width: f.width, height: f.height, data: shared(f.data) })),
        // Only the thresholds cross: a caller's object may carry more than can be cloned.
        ...(options ? { options: { confidence: options.confidence, iou: options.iou } } : {}),
      };
      const call = new Promise<DetectedObject[][]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        updateRef();
        try {
          worker.postMessage(request);
        } catch (err) {
          pending.delete(id);
          updateRef();
          reject(new Error(`cannot send frames to the ${label} worker: ${(err as Error).message}`));
        }
      });
      // The worker has let go of the frames once the call settles (it replies after its last read).
      const release = (): void => {
        accepted.delete(settled);
        if (!failure) pool.give(lent);
      };
      const settled: Promise<unknown> = call.then(release, release);
      accepted.add(settled);
      return call;
    },
    close(): Promise<void> {
      // Calls already accepted finish first (or fail with the worker); then the thread goes.
      closed = true;
      closing ??= Promise.all([...accepted]).then(async () => {
        fail(new Error(`${label} is closed`));
        await worker.terminate();
      });
      return closing;
    },
  };
}
