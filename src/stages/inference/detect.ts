import type { DetectorCatalog } from './detector-catalog.js';
import type { FrameCodec } from '../../ports/frame-codec.js';
import type { Publisher } from '../../ports/bus-publisher.js';
import type { DeliveredMessage } from '../../ports/bus-message.js';
import { decodeInferenceTask, decodeInferenceTaskFrame, encodeInferenceResult, type TaskDetectOptions } from '../../core/messages.js';
import { TOPICS } from '../../core/topics.js';
import type { Handler } from '../../handler-middleware/handler.js';
import type { DetectedObject } from '../../core/types.js';
import type { DetectOptions } from '../../ports/detector.js';
import { traceparentToSend } from '../../observability/job-spans.js';
import { suppressAcrossClasses } from '../../core/cross-class-suppression.js';
import { YOLO_DEFAULTS } from '../../core/model-defaults.js';

export interface DetectDeps {
  /** The models this worker serves; a task names one (else the default). */
  detectors: DetectorCatalog;
  codec: FrameCodec;
  bus: Publisher;
}

/**
 * Inference: a frame from `inference_tasks` → its detections on `inference_results`, at the task's
 * thresholds (else the model's) and of the task's classes only (else all); where the task asks
 * for class-agnostic NMS, boxes of the kept classes then suppress each other across classes too.
 */
export const detectFrame: Handler<DetectDeps> = async (message, deps) => {
  const task = decodeInferenceTask(message.headers);
  const detector = deps.detectors.get(task.model);
  const image = await deps.codec.decode(message.value, message.headers.content_type);
  const [found = []] = await detector.detect([image], thresholdsOf(task.options));
  const kept = ofClasses(found, task.options?.classes);
  // Runners state the job's IoU in every task; a task without one gets the design's (docs/architecture.md).
  const suppressed = task.options?.class_agnostic_nms ? suppressAcrossClasses(kept, task.options.iou ?? YOLO_DEFAULTS.iou) : kept;
  const objects = inFrameSize(suppressed, image.width, image.height, task.width, task.height).map(rounded);
  const model = { name: detector.name, sha256: detector.sha256 };
  await deps.bus.publish(TOPICS.inferenceResults, [
    encodeInferenceResult(task.eventId, task.frame, objects, undefined, traceparentToSend(message.headers.traceparent), model, task.timestampMs),
  ]);
};

/** The task's thresholds as `detect` options; none when it asks none (so it batches with the model's defaults). */
function thresholdsOf(o: TaskDetectOptions | undefined): DetectOptions | undefined {
  if (o?.confidence === undefined && o?.iou === undefined) return undefined;
  return { ...(o.confidence !== undefined ? { confidence: o.confidence } : {}), ...(o.iou !== undefined ? { iou: o.iou } : {}) };
}

/**
 * The objects of the asked classes (exact names), all when none are asked. Filtering after the
 * detector is exact: its NMS is class-wise, so other classes never suppressed these (only a model's
 * cap on objects per frame, 300 for YOLO, could have let others crowd them out).
 */
function ofClasses(objects: DetectedObject[], classes: readonly string[] | undefined): DetectedObject[] {
  if (!classes) return objects;
  const keep = new Set(classes);
  return objects.filter((o) => keep.has(o.class));
}

/**
 * Boxes in the frame's own pixels: a frame shrunk to fit the bus decodes smaller than its
 * `width`×`height` headers, so its boxes are scaled back up.
 */
function inFrameSize(objects: DetectedObject[], decodedWidth: number, decodedHeight: number, width = decodedWidth, height = decodedHeight): DetectedObject[] {
  if (width === decodedWidth && height === decodedHeight) return objects;
  const sx = width / decodedWidth;
  const sy = height / decodedHeight;
  return objects.map((o) => ({ ...o, box: [o.box[0] * sx, o.box[1] * sy, o.box[2] * sx, o.box[3] * sy] }));
}

/** Hundredths of a pixel and four decimals of confidence: what a box is known to; the rest is float noise. */
export function rounded(o: DetectedObject): DetectedObject {
  const px = (v: number): number => Math.round(v * 100) / 100;
  return { class: o.class, box: [px(o.box[0]), px(o.box[1]), px(o.box[2]), px(o.box[3])], conf: Math.round(o.conf * 10_000) / 10_000 };
}

/**
 * When a frame keeps failing, or its task is malformed (e.g. a bad `classes` header), report it as
 * a result with an error so its job fails instead of waiting forever.
 */
export async function reportUndetectableFrame(message: DeliveredMessage, error: unknown, deps: DetectDeps): Promise<void> {
  let task;
  try {
    task = decodeInferenceTaskFrame(message.headers);
  } catch {
    return; // no job to tell
  }
  const reason = error instanceof Error ? error.message : String(error);
  await deps.bus.publish(TOPICS.inferenceResults, [encodeInferenceResult(task.eventId, task.frame, [], reason, message.headers.traceparent)]);
}
