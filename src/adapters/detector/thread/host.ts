/**
 * The host half of a threaded detector: a `Detector` whose model lives in a `worker_threads`
 * worker (see `serve.ts`), so inference — synchronous in onnxruntime-node, CPU-bound in tfjs WASM —
 * never blocks the thread that consumes the bus, decodes frames and answers health checks.
 *
 * Frames are copied to the worker (structured clone), never transferred: the caller's buffers stay
 * intact, so a failed call can be retried with the same frames. The copy costs about 0.1 ms per
 * 768×576 frame, next to tens of milliseconds of inference.
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
  const options = { workerData, execArgv: process.execArgv };
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
      // A view into part of a larger buffer is sliced first: a clone of a view copies its whole buffer.
      const whole = (d: Uint8Array): Uint8Array => (d.byteOffset === 0 && d.byteLength === d.buffer.byteLength ? d : d.slice());
      const request: DetectRequest = {
        type: 'detect',
        id,
        frames: frames.map((f): ThreadFrame => ({ width: f.width, height: f.height, data: whole(f.data) })),
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
      const settled: Promise<unknown> = call.then(
        () => accepted.delete(settled),
        () => accepted.delete(settled),
      );
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
