import Type from 'typebox';
import { JobOptionFields } from './job-options.js';

/** The HTTP API's shapes: they validate requests, type handlers and document the API. */

export const ErrorBody = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }) },
  { $id: 'ErrorBody', description: 'Every error: a stable code from the catalogue and a message for people' },
);

export const JobStatusName = Type.Union(
  [Type.Literal('new'), Type.Literal('sent'), Type.Literal('processing'), Type.Literal('predictable'), Type.Literal('ready'), Type.Literal('failed')],
  { description: 'new → sent → processing → predictable → ready, or failed' },
);

export const EventIdParams = Type.Object(
  { event_id: Type.String({ description: 'The event id returned by upload_video (UUID)', maxLength: 200 }) },
  { additionalProperties: false },
);

export const UploadAccepted = Type.Object({
  status: Type.Literal('ok'),
  event_id: Type.String({ format: 'uuid' }),
});

const ModelName = Type.String({
  minLength: 1,
  maxLength: 63,
  description: 'The detector to run, by name (GET /api/models); default: the server’s default model',
});

export const RequestBody = Type.Object(
  {
    bucket: Type.Optional(Type.String({ maxLength: 63, description: 'A bucket of FRAMEWISE_REQUEST_BUCKETS (default: the server’s bucket)' })),
    object: Type.String({
      minLength: 1,
      maxLength: 1024,
      description: 'Key of a video this server stored, input/<event id>.<ext> (with a client’s key: one of its own uploads)',
    }),
    media_type: Type.Optional(Type.String({ maxLength: 127 })),
    model: Type.Optional(ModelName),
    ...JobOptionFields,
  },
  { additionalProperties: false },
);

/** `GET /api/models`. */
export const ModelList = Type.Object({
  default: Type.String({ description: 'The model of jobs that do not choose one' }),
  models: Type.Array(
    Type.Object({
      name: Type.String(),
      classes: Type.Optional(Type.Array(Type.String(), { description: 'The classes it reports (`classes` option)' })),
      defaults: Type.Object(
        {
          confidence: Type.Number({ description: 'Minimum confidence of its jobs that choose none (measured per model: bench/README.md, "Quality")' }),
          iou: Type.Number({ description: 'NMS IoU of its jobs that choose none' }),
          class_agnostic_nms: Type.Boolean({ description: 'Whether boxes of different classes suppress each other too' }),
        },
        { description: 'What its jobs detect with when they choose nothing (a job’s own `confidence`/`iou` win)' },
      ),
    }),
  ),
});

/** `POST /api/upload_video` query: the model may also come as a form field before the file. */
export const UploadQuery = Type.Object({ model: Type.Optional(ModelName), ...JobOptionFields }, { additionalProperties: false });

/**
 * The upload's multipart form, for the API description only: the body is streamed by the route
 * (never buffered), so Fastify does not validate it against this.
 */
export const UploadForm = Type.Object({
  model: Type.Optional(Type.String({ description: 'The model to use (a form field before the file; or the `model` query parameter)' })),
  ...JobOptionFields,
  file: Type.String({ format: 'binary', description: 'The video (after the option fields: fields after the file are not read)' }),
});

const BoxArray = (description: string) => Type.Array(Type.Number(), { minItems: 4, maxItems: 4, description });

const DetectedObject = Type.Object({
  class: Type.String(),
  box: BoxArray('[x1, y1, x2, y2] in pixels of the displayed frame'),
  box_norm: Type.Optional(BoxArray('`box` as fractions (0–1) of the displayed width and height')),
  conf: Type.Number(),
  track_id: Type.Optional(
    Type.Union([Type.Integer(), Type.Null()], { description: 'The object’s track across frames (null: a low-confidence detection no track took)' }),
  ),
});

const VideoMetadata = Type.Object(
  {
    width: Type.Integer({ description: 'Displayed width (rotation applied)' }),
    height: Type.Integer({ description: 'Displayed height (rotation applied)' }),
    fps: Type.Union([Type.Number(), Type.Null()], { description: 'Average frame rate, if the container states one' }),
    duration_ms: Type.Union([Type.Integer(), Type.Null()]),
    frame_count: Type.Union([Type.Integer(), Type.Null()], { description: 'As the container states or estimates it' }),
    codec: Type.String(),
    rotation: Type.Integer({ description: 'Clockwise rotation applied to the frames' }),
  },
  { description: 'The video, as probed when the job started' },
);

const JobParameters = Type.Object(
  {
    sample_every: Type.Integer({ description: 'Every Nth decoded frame was detected' }),
    sample_fps: Type.Optional(Type.Number({ description: 'The rate asked for, when the job asked by rate' })),
    model: Type.Optional(Type.String({ description: 'The model the job chose (absent: the default)' })),
    confidence: Type.Optional(Type.Number({ description: 'Minimum confidence of kept detections' })),
    iou: Type.Optional(Type.Number({ description: 'IoU threshold of non-maximum suppression' })),
    classes: Type.Optional(Type.Array(Type.String(), { description: 'Classes kept (absent: all)' })),
    class_agnostic_nms: Type.Optional(
      Type.Boolean({ description: 'Boxes of different classes suppressed each other too (the model’s default; absent: class-wise NMS only)' }),
    ),
    annotate: Type.Optional(Type.Boolean({ description: 'An annotated MP4 was asked for' })),
  },
  { description: 'The parameters the job ran with' },
);

export const FramePrediction = Type.Object({
  frame: Type.Integer({ description: '0-based index among all decoded frames' }),
  timestamp_ms: Type.Optional(
    Type.Number({ description: 'Presentation time from the stream’s own timestamps (right for variable frame rate), ms from the start' }),
  ),
  objects: Type.Array(DetectedObject),
});

const TrackSummary = Type.Object(
  {
    track_id: Type.Integer(),
    class: Type.String(),
    first_frame: Type.Integer(),
    last_frame: Type.Integer(),
    first_ms: Type.Number(),
    last_ms: Type.Number(),
    frames_seen: Type.Integer({ description: 'Sampled frames the object was detected in' }),
    best_conf: Type.Number(),
    best_box: BoxArray('The box of its most confident detection'),
    best_frame: Type.Integer(),
  },
  { description: 'One object followed across frames (ByteTrack: IoU and motion, high- then low-confidence detections)' },
);

const ClassSummary = Type.Object({
  class: Type.String(),
  tracks: Type.Integer({ description: 'Distinct objects (tracks)' }),
  detections: Type.Integer(),
  max_at_once: Type.Integer({ description: 'Most objects of the class in one frame' }),
  first_ms: Type.Number(),
  last_ms: Type.Number(),
});

const Segment = Type.Object(
  { class: Type.String(), start_ms: Type.Number(), end_ms: Type.Number(), duration_ms: Type.Number() },
  { description: 'A time span in which the class is present (until the next sampled frame without it)' },
);

export const ResultQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Frames per page; absent: every frame (no paging)' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The `next_cursor` of the previous page' })),
    class: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'Keep only objects of these classes (comma-separated)' })),
    min_conf: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Keep only objects at least this confident' })),
    track_id: Type.Optional(Type.Integer({ minimum: 1, description: 'Keep only the objects of this track' })),
    from_ms: Type.Optional(Type.Number({ minimum: 0, description: 'Keep only frames at or after this time' })),
    to_ms: Type.Optional(Type.Number({ minimum: 0, description: 'Keep only frames at or before this time' })),
  },
  { additionalProperties: false },
);

const ResultWarning = Type.Object(
  {
    code: Type.Union([Type.Literal('damaged_frames'), Type.Literal('decode_errors')], {
      description:
        '`damaged_frames`: the frames of a time range of the video could not be decoded and have no result; `decode_errors`: ffmpeg reported errors but no frame is missing (concealed: frames may show artefacts), no range',
    }),
    message: Type.String({ description: 'What is missing, for a person' }),
    from_ms: Type.Optional(Type.Number({ description: 'Time of the first frame that did not decode' })),
    to_ms: Type.Optional(Type.Number({ description: 'Time of the last frame that did not decode' })),
    frames: Type.Optional(Type.Integer({ description: 'Frames of the range that did not decode (sampled or not)' })),
  },
  { description: 'Something the result lacks' },
);

export const ResultBody = Type.Object({
  status: JobStatusName,
  event_id: Type.String(),
  total_frames: Type.Optional(Type.Integer({ description: 'Sampled frames of the job (all pages)' })),
  prediction: Type.Optional(Type.Array(FramePrediction)),
  model: Type.Optional(
    Type.Object(
      { name: Type.String(), sha256: Type.String({ description: 'SHA-256 of the model weights' }) },
      { description: 'The detector that made the prediction' },
    ),
  ),
  parameters: Type.Optional(JobParameters),
  video: Type.Optional(VideoMetadata),
  tracks: Type.Optional(Type.Array(TrackSummary)),
  classes: Type.Optional(Type.Array(ClassSummary, { description: 'Per class: distinct tracks, detections, most at once' })),
  segments: Type.Optional(Type.Array(Segment, { description: 'Per class, when it is present (like Rekognition’s AggregateBy=SEGMENTS)' })),
  warnings: Type.Optional(
    Type.Array(ResultWarning, {
      description: 'Present only when the video was partly damaged: the time ranges whose frames have no result (see FRAMEWISE_MAX_DAMAGED_SHARE)',
    }),
  ),
  next_cursor: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'With `limit`: pass as `cursor` for the next page; null on the last' })),
  processing_time_seconds: Type.Optional(Type.Number()),
  processing_time_formatted: Type.Optional(Type.String()),
  /** Why the job failed (status `failed` only). */
  reason: Type.Optional(Type.String()),
  progress: Type.Optional(
    Type.Object({
      frames_done: Type.Integer(),
      frames_total: Type.Union([Type.Integer(), Type.Null()], { description: 'Known once extraction ended' }),
      frames_expected: Type.Union([Type.Integer(), Type.Null()], { description: 'Estimate from the container' }),
    }),
  ),
});

export const JobStatusBody = Type.Object({
  event_id: Type.String(),
  status: JobStatusName,
  status_description: Type.String(),
  stage: Type.Union([Type.Literal('queued'), Type.Literal('detecting'), Type.Literal('publishing'), Type.Literal('done'), Type.Literal('failed')]),
  frames_done: Type.Integer(),
  frames_total: Type.Union([Type.Integer(), Type.Null()], { description: 'Known once extraction ended' }),
  frames_expected: Type.Union([Type.Integer(), Type.Null()], { description: 'Estimate from the container' }),
  percent: Type.Union([Type.Number(), Type.Null()], { description: '0–100 of the total (else of the estimate)' }),
  eta_seconds: Type.Union([Type.Number(), Type.Null()], { description: 'Seconds left at the job’s average rate so far (queueing included)' }),
  processing_time_seconds: Type.Number(),
  processing_time_formatted: Type.String(),
  reason: Type.Optional(Type.String({ description: 'Why the job failed (status `failed` only)' })),
  warnings: Type.Optional(
    Type.Array(ResultWarning, {
      description: 'Status `ready` only, when the video was partly damaged: the result’s warnings (the time ranges without results)',
    }),
  ),
});

export const Operation = Type.Object({
  video_id: Type.String(),
  status_code: JobStatusName,
  status_description: Type.String(),
  processing_time_seconds: Type.Number(),
  processing_time_formatted: Type.String(),
  reason: Type.Optional(Type.String()),
});

export const StatusAll = Type.Object({
  operations: Type.Array(Operation),
  total: Type.Integer(),
  counts: Type.Record(Type.String(), Type.Integer(), { description: 'Jobs per status' }),
});

export const Health = Type.Object({ status: Type.Literal('ok'), service: Type.String() });

export const CleanupBody = Type.Object({ status: Type.Literal('ok'), deleted_jobs: Type.Integer() });

export const OutboxName = Type.Union([Type.Literal('jobs'), Type.Literal('results'), Type.Literal('webhooks')], {
  description:
    '`jobs`: events the relay could not publish; `results`: detections the publisher could not write; `webhooks`: job notifications the receiver did not accept',
});

export const DeadLetterQuery = Type.Object(
  {
    outbox: Type.Optional(OutboxName),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);

export const DeadLetterParams = Type.Object({ outbox: OutboxName, event_id: Type.String({ maxLength: 200 }) }, { additionalProperties: false });

export const DeadLetter = Type.Object({
  outbox: OutboxName,
  event_id: Type.String(),
  event_type: Type.String(),
  aggregate_type: Type.String(),
  aggregate_id: Type.String(),
  attempts: Type.Integer(),
  last_error: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  dead_at: Type.String({ format: 'date-time' }),
  payload: Type.Optional(Type.Object({ bucket: Type.String(), object: Type.String(), media_type: Type.String() })),
  webhook_url: Type.Optional(Type.String({ description: '`webhooks`: where the notification was to go' })),
  delivery_id: Type.Optional(Type.String({ description: '`webhooks`: the notification’s delivery id (the same on every attempt and replay)' })),
});

export const DeadLetterList = Type.Object({ dead_letters: Type.Array(DeadLetter), total: Type.Integer() });

export const DeadLetterAction = Type.Object({
  status: Type.Literal('ok'),
  outbox: OutboxName,
  event_id: Type.String(),
  action: Type.Union([Type.Literal('replayed'), Type.Literal('discarded')]),
});
