/**
 * The messages between a detector's worker thread (`serve.ts`) and its host (`host.ts`).
 * Requests are served strictly in arrival order; every request gets exactly one reply.
 */
import type { DetectedObject } from '../../../core/types.js';
import type { DetectOptions } from '../../../ports/detector.js';

/** A frame as posted to the worker: its pixels in shared memory lent for the call (see `host.ts`). */
export interface ThreadFrame {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface DetectRequest {
  type: 'detect';
  id: number;
  frames: ThreadFrame[];
  /** The call's thresholds; absent: the worker's defaults. */
  options?: DetectOptions;
}

/** What every threaded detector reports once loaded; adapters add their own fields. */
export interface ThreadDetectorInfo {
  name: string;
  sha256: string;
  /** Said once at start (e.g. "CUDA unavailable, running on the CPU"); the host logs them. */
  warnings?: string[];
}

export type WorkerReply<I extends ThreadDetectorInfo = ThreadDetectorInfo> =
  | { type: 'ready'; info: I }
  | { type: 'init-error'; message: string }
  | { type: 'result'; id: number; objects: DetectedObject[][] }
  | { type: 'error'; id: number; message: string };
