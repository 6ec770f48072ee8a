import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import type { OutboxEvent } from './job.js';
import type { DetectedObject, ModelRef } from './types.js';
import type { BusMessage } from '../ports/bus-message.js';

/**
 * The messages on the bus, their wire format and validation. A message that does not decode is
 * malformed for good: decoders throw `MalformedMessageError`, which is never retried.
 */
export class MalformedMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedMessageError';
  }
}

function decodeJson<T extends Type.TSchema>(schema: T, what: string, bytes: Buffer): Static<T> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new MalformedMessageError(`${what}: not JSON`);
  }
  if (!Value.Check(schema, value)) {
    const first = [...Value.Errors(schema, value)][0];
    throw new MalformedMessageError(`${what}: ${first ? `${first.instancePath || '/'} ${first.message}` : 'invalid'}`);
  }
  return value;
}

/**
 * `outbox_events`: the design's `{_id, payload:{bucket, object, media_type}, created_at}` plus the
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
  payload: Type.Object({ bucket: Type.String(), object: Type.String({ minLength: 1 }), media_type: Type.String(), model: Type.Optional(Type.String({ minLength: 1 })) }),
  created_at: Type.String(),
  traceparent: Type.Optional(Type.String()),
});
export type OutboxEventMessage = Static<typeof OutboxEventMessage>;

export function encodeOutboxEvent(e: Pick<OutboxEvent, '_id' | 'event_type' | 'aggregate_type' | 'aggregate_id' | 'payload' | 'created_at' | 'traceparent'>): BusMessage {
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

/** `inference_tasks`: the frame (JPEG, or raw RGB: `content_type`); which job and frame it is travels in headers. */
export interface InferenceTask {
  eventId: string;
  frame: number;
  /** The detector to run; absent: the worker's default. */
  model?: string;
  /** The frame's presentation time, ms from the video's start; echoed in the result. */
  timestampMs?: number;
}

/** A task as read back: plus the frame's own size, which boxes are reported in. */
export interface DecodedInferenceTask extends InferenceTask {
  /** The frame's size; the JPEG may be smaller (shrunk to fit the bus's message limit). */
  width?: number;
  height?: number;
}

export function inferenceTaskHeaders(t: InferenceTask, width: number, height: number, traceparent?: string, contentType = 'image/jpeg'): Record<string, string> {
  const h: Record<string, string> = { event_id: t.eventId, frame: String(t.frame), width: String(width), height: String(height), content_type: contentType };
  if (t.model) h.model = t.model;
  if (t.timestampMs !== undefined) h.timestamp_ms = String(t.timestampMs);
  if (traceparent) h.traceparent = traceparent;
  return h;
}

export function decodeInferenceTask(headers: Record<string, string>): DecodedInferenceTask {
  const eventId = headers.event_id;
  const frame = Number(headers.frame);
  if (!eventId || !Number.isInteger(frame) || frame < 0) throw new MalformedMessageError('inference task: missing event_id/frame headers');
  const width = Number(headers.width);
  const height = Number(headers.height);
  const size = Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0 ? { width, height } : {};
  const ts = headers.timestamp_ms === undefined ? NaN : Number(headers.timestamp_ms);
  const timestamp = Number.isFinite(ts) && ts >= 0 ? { timestampMs: ts } : {};
  return { eventId, frame, ...(headers.model ? { model: headers.model } : {}), ...timestamp, ...size };
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
