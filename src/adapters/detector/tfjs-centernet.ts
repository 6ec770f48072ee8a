/**
 * Detector adapter: COCO-80 CenterNet (the model shipped by `@vladmandic/human`) on TensorFlow.js
 * with the WASM backend, run in a `worker_threads` worker so inference never blocks this thread.
 *
 * Frames are posted to the worker by *transferring* their pixel buffers (no copy): after
 * `detect(frames)` is called, each `frame.data` whose Uint8Array spans its whole ArrayBuffer is
 * detached (length 0) in the caller, so pass a copy if you still need the pixels. Views over part
 * of a larger buffer are copied instead, and buffers Node cannot detach (e.g. the external memory
 * behind a Buffer returned by sharp) are copied by postMessage and left intact.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { DetectorCrashedError, type Detector, type DetectorOptions } from '../../ports/detector.js';
import type { DetectedObject, FrameImage } from '../../core/types.js';
import { sha256OfFiles } from './model-hash.js';
import type { CenternetWorkerData, DetectRequest, WorkerFrame, WorkerMessage } from './centernet-worker.js';

export const CENTERNET_MODEL_NAME = 'centernet-coco';

export interface CenternetDetectorOptions extends DetectorOptions {
  /** Directory holding `centernet.json` + `centernet.bin`; defaults to `@vladmandic/human/models`. */
  modelDir?: string;
}

/** The models directory of the installed `@vladmandic/human` package. */
export function defaultCenternetModelDir(): string {
  const require = createRequire(import.meta.url);
  // The package's `exports` hide `models/`, so locate it from the resolved entry point.
  let dir = path.dirname(require.resolve('@vladmandic/human'));
  for (;;) {
    const candidate = path.join(dir, 'models');
    if (existsSync(path.join(candidate, 'centernet.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find @vladmandic/human/models/centernet.json');
    dir = parent;
  }
}

function checkUnit(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new Error(`${name} must be a number between 0 and 1, got ${String(v)}`);
  }
  return v;
}

/**
 * Starts the worker module next to this one, with this module's own extension: `.js` once compiled
 * to `dist/`, `.ts` when running from source under tsx.
 */
function spawnWorker(workerData: CenternetWorkerData): Worker {
  const ext = path.extname(fileURLToPath(import.meta.url)) || '.js';
  const url = new URL(`./centernet-worker${ext}`, import.meta.url);
  const options = { workerData, execArgv: process.execArgv };
  if (ext !== '.ts' && ext !== '.mts') return new Worker(url, options);
  // From source: on Node 20 a worker does not get tsx's `--import` hooks in time for its entry
  // module (ERR_UNKNOWN_FILE_EXTENSION, privatenumber/tsx#354), so register tsx's ESM loader in the
  // worker first and then import the TypeScript entry.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot =
    `import(${JSON.stringify(tsxApi)})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}

interface Pending {
  resolve: (objects: DetectedObject[][]) => void;
  reject: (err: Error) => void;
}

export async function createCenternetDetector(opts: DetectorOptions & { modelDir?: string }): Promise<Detector> {
  const workerData: CenternetWorkerData = {
    modelDir: path.resolve(opts.modelDir ?? defaultCenternetModelDir()),
    confidence: checkUnit('confidence', opts.confidence),
    iou: checkUnit('iou', opts.iou),
  };
  if (!existsSync(path.join(workerData.modelDir, 'centernet.json'))) {
    throw new Error(`no centernet.json in ${workerData.modelDir}`);
  }

  const worker = spawnWorker(workerData);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let ready = false;
  let closed = false;
  /** Set once the worker is gone for good; every later call rejects with it. */
  let failure: Error | null = null;

  // Keep the process alive only while work is outstanding, so an idle detector never holds it open.
  const updateRef = (): void => {
    if (pending.size > 0) worker.ref();
    else worker.unref();
  };

  let startResolve!: () => void;
  let startReject!: (err: Error) => void;
  const started = new Promise<void>((resolve, reject) => {
    startResolve = resolve;
    startReject = reject;
  });

  const fail = (err: Error): void => {
    if (!failure) failure = err;
    if (!ready) startReject(err);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    updateRef();
  };

  worker.on('message', (msg: WorkerMessage) => {
    switch (msg.type) {
      case 'ready':
        ready = true;
        startResolve();
        updateRef();
        break;
      case 'init-error':
        fail(new Error(`centernet detector failed to start: ${msg.message}`));
        void worker.terminate();
        break;
      case 'result':
      case 'error': {
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        if (msg.type === 'result') p.resolve(msg.objects as DetectedObject[][]);
        else p.reject(new Error(`centernet detection failed: ${msg.message}`));
        updateRef();
        break;
      }
    }
  });
  worker.on('error', (err: Error) => {
    fail(new DetectorCrashedError(`centernet worker crashed: ${err.message}`, { cause: err }));
  });
  worker.on('messageerror', (err: Error) => {
    fail(new Error(`centernet worker sent an unreadable message: ${err.message}`, { cause: err }));
  });
  worker.on('exit', (code: number) => {
    if (closed) fail(new Error('centernet detector is closed'));
    else fail(new DetectorCrashedError(`centernet worker exited unexpectedly (exit code ${code})`));
  });

  try {
    await started;
  } catch (err) {
    closed = true;
    await worker.terminate().catch(() => undefined);
    throw err;
  }

  const detector: Detector = {
    name: CENTERNET_MODEL_NAME,
    // The model is its graph and its weights.
    sha256: await sha256OfFiles(['centernet.json', 'centernet.bin'].map((f) => path.join(workerData.modelDir, f))),

    detect(frames: readonly FrameImage[]): Promise<DetectedObject[][]> {
      if (closed) return Promise.reject(new Error('centernet detector is closed'));
      if (failure) return Promise.reject(failure);
      const posted: WorkerFrame[] = [];
      const transfer = new Set<ArrayBuffer>();
      for (const [i, f] of frames.entries()) {
        if (!f || !Number.isInteger(f.width) || !Number.isInteger(f.height) || f.width <= 0 || f.height <= 0) {
          return Promise.reject(new Error(`frame ${i}: invalid size ${f?.width}x${f?.height}`));
        }
        if (!(f.data instanceof Uint8Array) || f.data.length !== f.width * f.height * 3) {
          return Promise.reject(
            new Error(`frame ${i}: data must be ${f.width}x${f.height}x3 = ${f.width * f.height * 3} RGB bytes`),
          );
        }
      }
      for (const f of frames) {
        let data = f.data;
        const buf = data.buffer;
        if (buf instanceof ArrayBuffer) {
          if (data.byteOffset !== 0 || data.byteLength !== buf.byteLength) data = data.slice(); // own buffer
          transfer.add(data.buffer as ArrayBuffer);
        } // a SharedArrayBuffer is shared, not copied, by postMessage
        posted.push({ width: f.width, height: f.height, data });
      }
      const id = nextId++;
      const request: DetectRequest = { type: 'detect', id, frames: posted };
      return new Promise<DetectedObject[][]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        updateRef();
        try {
          worker.postMessage(request, [...transfer]);
        } catch {
          try {
            // e.g. a buffer that cannot be transferred: fall back to a structured-clone copy.
            worker.postMessage(request);
          } catch (err) {
            pending.delete(id);
            updateRef();
            reject(new Error(`cannot send frames to the centernet worker: ${(err as Error).message}`));
          }
        }
      });
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      fail(new Error('centernet detector is closed'));
      await worker.terminate();
    },
  };
  return detector;
}
