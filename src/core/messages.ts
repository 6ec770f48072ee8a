import Type, { type Static } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import type { OutboxEvent } from './job.js';
import type { DetectedObject, ModelRef } from './types.js';

/**
 * The messages on the bus, their wire format and validation. A message that does not decode is
 * malformed for good: decoders throw `MalformedMessageError`, which is never retried.
 */

/** One message on the bus. `value` is opaque bytes (JSON or a JPEG frame); `headers` are strings. */
export interface BusMessage {
  key: string;
  value: Buffer;
  headers?: Record<string, string>;
}

/** A message that does not decode: malformed for good, so it is never retried. */
export class MalformedMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedMessageError';
  }
}

/** Each message schema's validator, compiled once (a tenth of the interpreted check's cost per frame result). */
const validators = new WeakMap<Type.TSchema, Validator>();

function decodeJson<T extends Type.TSchema>(schema: T, what: string, bytes: Buffer): Static<T> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new MalformedMessageError(`${what}: not JSON`);
  }
  let validator = validators.get(schema);
  if (!validator) validators.set(schema, (validator = Compile(schema) as unknown as Validator));
  if (!validator.Check(value)) {
    const first = validator.Errors(value)[0];
    throw new MalformedMessageError(`${what}: ${first ? `${first.instancePath || '/'} ${first.message}` : 'invalid'}`);
  }
  return value as Static<T>;
}

/** The client's job options as they travel (validated by the API; checked again here, as any message). */
const JobOptionsMessage = Type.Object({
  sample_every: Type.Optional(Type.Integer({ minimum: 1 })),
  sample_fps: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  confidence: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  iou: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  classes: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  annotate: Type.Optional(Type.Boolean()),
  webhook_url: Type.Optional(Type.String({ minLength: 1 })),
});

/**
 * `outbox_events`: the design's (docs/architecture.md) `{_id, payload:{bucket, object, media_type}, created_at}` plus the
 * envelope (`event_id`, `event_type`, `aggregate_*`, `traceparent`), keyed by aggregate id. The
 * envelope also travels in headers, so consumers and tools can route and trace without parsing.
 * Envelope fields are optional on decode: messages of version 0.1 lack them.
 */
const OutboxEventMessage = Type.Object({
  _id: Type.String({ minLength: 1 }),
  event_id: Type.Optional(Type.String()),
  event_type: Type.Optional(Type.String()),
  aggregate_type: Type.Optional(Type.String()),
  aggregate_id: Type.Optional(Type.String()),
  payload: Type.Object({
    bucket: Type.String(),
    object: Type.String({ minLength: 1 }),
    media_type: Type.String(),
    model: Type.Optional(Type.String({ minLength: 1 })),
    options: Type.Optional(JobOptionsMessage),
    /** The id of the API key that created the job (see `VideoRef.owner`). */
    owner: Type.Optional(Type.String({ minLength: 1 })),
  }),
  created_at: Type.String(),
  traceparent: Type.Optional(Type.String()),
});
export type OutboxEventMessage = Static<typeof OutboxEventMessage>;

export function encodeOutboxEvent(
  e: Pick<OutboxEvent, '_id' | 'event_type' | 'aggregate_type' | 'aggregate_id' | 'payload' | 'created_at' | 'traceparent'>,
): BusMessage {
  const m: OutboxEventMessage = {
    _id: e._id,
    event_id: e._id,
    event_type: e.event_type,
    aggregate_type: e.aggregate_type,
    aggregate_id: e.aggregate_id,
    payload: e.payload,
    created_at: e.created_at.toISOString(),
    ...(e.traceparent ? { traceparent: e.traceparent } : {}),
  };
  const headers: Record<string, string> = { event_id: e._id, event_type: e.event_type, aggregate_type: e.aggregate_type, aggregate_id: e.aggregate_id };
  if (e.traceparent) headers.traceparent = e.traceparent;
  return { key: e.aggregate_id, value: Buffer.from(JSON.stringify(m)), headers };
}

export const decodeOutboxEvent = (bytes: Buffer) => decodeJson(OutboxEventMessage, 'outbox event', bytes);

/** What a job asks of detection, per task; absent fields take the inference worker's configured defaults. */
export interface TaskDetectOptions {
  /** Minimum confidence of a kept detection (0–1). */
  confidence?: number;
  /** NMS IoU threshold (0–1). */
  iou?: number;
  /** Keep only objects of these classes (names exactly as the model reports them); absent: all, empty: none. */
  classes?: string[];
  /** Boxes of different classes suppress each other too, at `iou` (after the class filter); absent: class-wise only. */
  class_agnostic_nms?: boolean;
}

/** `inference_tasks`: the frame (JPEG, or raw RGB: `content_type`); which job and frame it is travels in headers. */
export interface InferenceTask {
  eventId: string;
  frame: number;
  /** The detector to run; absent: the worker's default. */
  model?: string;
  /** The frame's presentation time, ms from the video's start; echoed in the result. */
  timestampMs?: number;
  /** The job's thresholds and class filter; absent: the worker's defaults, every class. */
  options?: TaskDetectOptions;
}

/** A task as read back: plus the frame's own size, which boxes are reported in. */
export interface DecodedInferenceTask extends InferenceTask {
  /** The frame's size; the JPEG may be smaller (shrunk to fit the bus's message limit). */
  width?: number;
  height?: number;
}

export function inferenceTaskHeaders(
  t: InferenceTask,
  width: number,
  height: number,
  traceparent?: string,
  contentType = 'image/jpeg',
): Record<string, string> {
  const h: Record<string, string> = { event_id: t.eventId, frame: String(t.frame), width: String(width), height: String(height), content_type: contentType };
  if (t.model) h.model = t.model;
  if (t.timestampMs !== undefined) h.timestamp_ms = String(t.timestampMs);
  const o = t.options;
  if (o?.confidence !== undefined) h.confidence = String(o.confidence);
  if (o?.iou !== undefined) h.iou = String(o.iou);
  // JSON, not a comma list: a custom model's class names may contain commas.
  if (o?.classes !== undefined) h.classes = JSON.stringify(o.classes);
  if (o?.class_agnostic_nms) h.class_agnostic_nms = 'true';
  if (traceparent) h.traceparent = traceparent;
  return h;
}

/** A `confidence`/`iou` header: a number in 0–1, or absent. */
function unitHeader(headers: Record<string, string>, name: string): number | undefined {
  const text = headers[name];
  if (text === undefined) return undefined;
  const v = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(v) || v < 0 || v > 1)
    throw new MalformedMessageError(`inference task: ${name} header must be a number from 0 to 1, got ${JSON.stringify(text)}`);
  return v;
}

/** The `classes` header: a JSON array of non-empty strings, or absent. */
function classesHeader(headers: Record<string, string>): string[] | undefined {
  const text = headers.classes;
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new MalformedMessageError('inference task: classes header is not JSON');
  }
  if (!Array.isArray(v) || !v.every((c) => typeof c === 'string' && c !== '')) {
    throw new MalformedMessageError('inference task: classes header must be a JSON array of non-empty strings');
  }
  return v as string[];
}

/** The task's detection options from its headers; absent when it has none. Malformed values throw. */
function taskDetectOptions(headers: Record<string, string>): TaskDetectOptions | undefined {
  const confidence = unitHeader(headers, 'confidence');
  const iou = unitHeader(headers, 'iou');
  const classes = classesHeader(headers);
  const agnostic = headers.class_agnostic_nms;
  if (agnostic !== undefined && agnostic !== 'true' && agnostic !== 'false')
    throw new MalformedMessageError(`inference task: class_agnostic_nms header must be true or false, got ${JSON.stringify(agnostic)}`);
  if (confidence === undefined && iou === undefined && classes === undefined && agnostic !== 'true') return undefined;
  return {
    ...(confidence !== undefined ? { confidence } : {}),
    ...(iou !== undefined ? { iou } : {}),
    ...(classes ? { classes } : {}),
    ...(agnostic === 'true' ? { class_agnostic_nms: true } : {}),
  };
}

/**
 * Which job and frame a task is, read alone: enough to report a task whose other headers are
 * malformed as a failed frame of its job.
 */
export function decodeInferenceTaskFrame(headers: Record<string, string>): { eventId: string; frame: number } {
  const eventId = headers.event_id;
  const frame = Number(headers.frame);
  if (!eventId || !Number.isInteger(frame) || frame < 0) throw new MalformedMessageError('inference task: missing event_id/frame headers');
  return { eventId, frame };
}

export function decodeInferenceTask(headers: Record<string, string>): DecodedInferenceTask {
  const { eventId, frame } = decodeInferenceTaskFrame(headers);
  const width = Number(headers.width);
  const height = Number(headers.height);
  const size = Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0 ? { width, height } : {};
  const ts = headers.timestamp_ms === undefined ? NaN : Number(headers.timestamp_ms);
  const timestamp = Number.isFinite(ts) && ts >= 0 ? { timestampMs: ts } : {};
  const options = taskDetectOptions(headers);
  return { eventId, frame, ...(headers.model ? { model: headers.model } : {}), ...timestamp, ...(options ? { options } : {}), ...size };
}

/**
 * `inference_results`: the design's `{"frame":n,"objects":[{"class","box","conf"}]}` plus the job's
 * `event_id`; `error` instead of objects when the frame could not be detected.
 */
const Box = Type.Tuple([Type.Number(), Type.Number(), Type.Number(), Type.Number()]);
const InferenceResultMessage = Type.Object({
  event_id: Type.String({ minLength: 1 }),
  frame: Type.Integer({ minimum: 0 }),
  timestamp_ms: Type.Optional(Type.Number({ minimum: 0 })),
  objects: Type.Array(Type.Object({ class: Type.String(), box: Box, conf: Type.Number() })),
  model: Type.Optional(Type.Object({ name: Type.String(), sha256: Type.String() })),
  error: Type.Optional(Type.String()),
});
export type InferenceResultMessage = Static<typeof InferenceResultMessage>;

export function encodeInferenceResult(
  eventId: string,
  frame: number,
  objects: DetectedObject[],
  error?: string,
  traceparent?: string,
  model?: ModelRef,
  timestampMs?: number,
): BusMessage {
  const m: InferenceResultMessage = {
    event_id: eventId,
    frame,
    ...(timestampMs !== undefined ? { timestamp_ms: timestampMs } : {}),
    objects,
    ...(model ? { model } : {}),
    ...(error ? { error } : {}),
  };
  return { key: eventId, value: Buffer.from(JSON.stringify(m)), headers: { event_id: eventId, ...(traceparent ? { traceparent } : {}) } };
}

export const decodeInferenceResult = (bytes: Buffer) => decodeJson(InferenceResultMessage, 'inference result', bytes);

/**
 * `video_segments`: one segment of a job's video to extract (see `core/segments.ts`), keyed
 * `{event_id}/{segment}`. Self-contained: the segment's frames and where it starts; the job's
 * parameters and video are on its runner record.
 */
const SegmentTaskMessage = Type.Object({
  event_id: Type.String({ minLength: 1 }),
  segment: Type.Integer({ minimum: 0 }),
  segments: Type.Integer({ minimum: 1 }),
  first_frame: Type.Integer({ minimum: 0 }),
  from_pts: Type.Number(),
  to_pts: Type.Union([Type.Number(), Type.Null()]),
  seek_seconds: Type.Number({ minimum: 0 }),
  pts_offset: Type.Number(),
  sampled_pts: Type.Array(Type.Number()),
  /** The last segment of a truncated video only: the frames its container states beyond its index (`core/damage.ts`). */
  lost_tail: Type.Optional(
    Type.Object({ from_ms: Type.Number(), to_ms: Type.Number(), frames: Type.Integer({ minimum: 0 }), sampled_frames: Type.Integer({ minimum: 0 }) }),
  ),
  traceparent: Type.Optional(Type.String()),
});
export type SegmentTaskMessage = Static<typeof SegmentTaskMessage>;

export function encodeSegmentTask(m: SegmentTaskMessage): BusMessage {
  return {
    key: `${m.event_id}/${m.segment}`,
    value: Buffer.from(JSON.stringify(m)),
    headers: { event_id: m.event_id, segment: String(m.segment), ...(m.traceparent ? { traceparent: m.traceparent } : {}) },
  };
}

export const decodeSegmentTask = (bytes: Buffer) => decodeJson(SegmentTaskMessage, 'video segment', bytes);
