/**
 * Framewise's domain, in its own words.
 *
 * - **job** — one video's trip through the pipeline, identified by its **event id** (UUID v4). The
 *   client gets the event id from `POST /api/upload_video` and reads results with it.
 * - **outbox event** — the record in `main_db.outbox` that is written in the same atomic step as
 *   the job is accepted; the **outbox relay** publishes it to the `outbox_events` topic. Status
 *   `new` (written, not yet published) → `sent` (published at least once).
 * - **runner record** — the job's entry in `runner_db.runner_predictions`, owned by the **runner**:
 *   `processing` (frames being extracted and detected) → `predictable` (every sampled frame has a
 *   result) → `ready` (the **result publisher** wrote `detection/{id}.json`). `failed` ends a job
 *   that cannot complete, with a reason.
 * - **sampled frame** — a decoded frame that the sampling rule keeps (every Nth frame); its
 *   **frame number** is its 0-based index among all decoded frames of the video.
 * - **inference task** — one preprocessed sampled frame on `inference_tasks`.
 * - **frame result** — the detections of one sampled frame on `inference_results`; stored once
 *   per (job, frame) however often it is delivered.
 * - **prediction** — all frame results of a job, ascending by frame number.
 * - **object store** — where videos (`input/{id}.{ext}`) and predictions (`detection/{id}.json`)
 *   live: a directory in embedded mode, S3/MinIO in cluster mode.
 */

/** A decoded frame: tightly packed 8-bit RGB, row-major, `width * height * 3` bytes. */
export interface FrameImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** `[x1, y1, x2, y2]` in pixels of the frame as displayed. */
export type Box = [number, number, number, number];

export interface DetectedObject {
  /** COCO class name, e.g. `person`, `sports ball`. */
  class: string;
  box: Box;
  /** Confidence 0–1. */
  conf: number;
}

/** A detection in the published result: plus its track (null: a low-confidence detection no track took). */
export interface TrackedObject extends DetectedObject {
  track_id: number | null;
}

/** Which detector produced a result: its name and the SHA-256 of its weights. */
export interface ModelRef {
  name: string;
  sha256: string;
}

/** What `inference_results` carries for one sampled frame (the design's (docs/architecture.md) shape, plus the job id). */
export interface FrameResult {
  frame: number;
  /** Presentation time of the frame in ms from the video's start (absent in results stored by version 0.2 and before). */
  timestamp_ms?: number;
  objects: DetectedObject[];
  /** The detector that found them (absent in results stored by version 0.1). */
  model?: ModelRef;
}

/** Where a stored object lives, as the design names it. */
export interface ObjectLocation {
  bucket: string;
  object: string;
}
