import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { ObjectStore } from '../../ports/object-store.js';
import { localCopy } from '../../stage-support/local-copy.js';
import type { JobRecords } from '../../ports/job-records.js';
import type { FrameCollection } from '../../ports/frame-collection.js';
import type { Publisher } from '../../ports/bus-publisher.js';
import type { FrameCodec } from '../../ports/frame-codec.js';
import type { FramePreparer } from '../../ports/frame-preparer.js';
import type { ModelDefaults } from '../../core/model-defaults.js';
import { VideoDecodeError, type FrameReadOptions, type FrameSource } from '../../ports/frame-source.js';
import { decodeOutboxEvent, decodeSegmentTask, encodeSegmentTask, inferenceTaskHeaders } from '../../core/messages.js';
import { planSegments, sampledFrames } from '../../core/segments.js';
import type { PreprocessOptions } from '../../core/preprocess.js';
import { travelSize, type ModelInput } from '../../core/model-input.js';
import { encodeFrameWithin } from './frame-message.js';
import type { RoundRobinGate } from './round-robin-gate.js';
import { sampleEvery, sampledFrameCount, type SamplingRule } from '../../core/sampling.js';
import { allFramesIn, type JobParameters, type RunnerRecord, type SubmittedJob, type VideoRef } from '../../core/job.js';
import { TOPICS } from '../../core/topics.js';
import { damageKey } from '../../core/ids.js';
import { lostTail, type DamageReport } from '../../core/damage.js';
import { childTraceparent, traceIdOf } from '../../core/trace.js';
import type { Handler } from '../../handler-middleware/handler.js';
import type { Metrics } from '../../observability/metrics.js';
import { traceparentToSend } from '../../observability/job-spans.js';
import { decodedFrameBreach, videoLimitBreach, type VideoLimits } from '../../core/video-limits.js';

export interface ExtractDeps {
  objects: ObjectStore;
  jobRecords: JobRecords;
  frameCollection: FrameCollection;
  bus: Publisher;
  frames: FrameSource;
  /** Preprocesses each sampled frame and resizes it to the size its model scales it to. */
  preparer: FramePreparer;
  codec: FrameCodec;
  /**
   * The input of a job's model (by name; undefined: the default model), where the runner knows it:
   * frames then travel at the size the model scales them to (`travelSize`). Undefined: full size.
   */
  modelInput: (model: string | undefined) => ModelInput | undefined;
  /** The sampling rule of jobs that do not choose theirs. */
  sampling: SamplingRule;
  /**
   * The detection defaults of a job's model (by name; undefined: the default model), for jobs that
   * do not choose their thresholds; every task states the job's.
   */
  detection: (model: string | undefined) => ModelDefaults;
  preprocessing: PreprocessOptions;
  log: Logger;
  /** Aborted at shutdown: extraction stops between frames and the event is redelivered later. */
  signal: AbortSignal;
  /** Longest frame message (JPEG bytes) the bus takes. */
  maxFrameBytes: number;
  /** Extracted-but-undetected frames a job may have before extraction waits for detection. */
  maxFramesInFlight: number;
  /**
   * How a frame counts as detected: `results` — once its result is stored (frames on a durable bus,
   * whose publishes resolve at once: the runner reads the job's count of results); `publishes` —
   * once its publish resolves (a transient bus, whose publish resolves when the frame is handled).
   */
  pacing: 'results' | 'publishes';
  /**
   * The runner's frame slots, shared by the jobs it extracts at once and handed out round-robin
   * by job (a frame holds its slot until its publish resolves). Absent: none (one job at a time).
   */
  gate?: RoundRobinGate;
  /**
   * The runner's extraction slots (its concurrency), shared by the whole videos and the segments it
   * extracts, handed out round-robin by job. Absent: none.
   */
  extractionGate?: RoundRobinGate;
  /** A video at least twice this long is extracted in segments of about this length (0 or absent: never). */
  segmentSeconds?: number;
  /** Told when a job became `predictable` (embedded mode wakes the result publisher). */
  onPredictable?: () => void;
  metrics?: Metrics;
  /**
   * The video limits: a job over one ends `failed` with the limit in its reason — checked on the
   * probe, and on every sampled frame in case the container understates. The API refuses such
   * uploads already; this catches jobs created before a limit was lowered.
   */
  limits?: VideoLimits;
}

/**
 * Runner, first half: an `outbox_events` message → the job's sampled, preprocessed frames on
 * `inference_tasks`. A video at least two `segmentSeconds` long is split into segments instead
 * (`core/segments.ts`), published to `video_segments` for any runner to extract (`extractSegment`).
 * Safe to redeliver: a finished job is skipped, and a job interrupted mid-way resumes by
 * re-extracting while skipping frames that already have a result.
 */
export const extractFrames: Handler<ExtractDeps> = async (message, deps) => {
  const event = decodeOutboxEvent(message.value);
  const id = event._id;
  const traceparent = message.headers.traceparent ?? event.traceparent;
  const log = deps.log.child({ event_id: id, trace_id: traceIdOf(traceparent) });
  const existing = await deps.jobRecords.get(id);
  if (existing && existing.status !== 'processing') {
    log.debug({ status: existing.status }, 'job already past extraction; duplicate event ignored');
    return;
  }
  // What a `failed` record of a job that never started keeps (see `FrameCollection.markFailed`).
  const submitted: SubmittedJob = { created_at: new Date(event.created_at), input: event.payload };
  const key = event.payload.object;
  if (!(await deps.objects.exists(key))) {
    await deps.frameCollection.markFailed(id, 'the uploaded video is no longer in the object store', new Date(), submitted);
    return;
  }
  const local = await localCopy(deps.objects, key);
  try {
    const info = await deps.frames.probe(local.path);
    const breach = deps.limits && videoLimitBreach(info, deps.limits);
    if (breach) {
      log.warn({ reason: breach.message }, 'video over a limit; job failed');
      await deps.frameCollection.markFailed(id, breach.message, new Date(), submitted);
      return;
    }
    const parameters = jobParameters(event.payload, deps, info.fps);
    const every = parameters.sample_every;
    // Long enough to split: its segments, from the container's index (no decoding).
    const segmentSeconds = deps.segmentSeconds ?? 0;
    const index = segmentSeconds > 0 && (info.durationSeconds ?? 0) >= 2 * segmentSeconds ? await deps.frames.index(local.path) : undefined;
    const plan = index && planSegments(index, existing?.parameters.sample_every ?? every, segmentSeconds);
    // A truncated file's index ends early: the last segment reports the frames lost after it.
    const tail = index && lostTail(index, info, existing?.parameters.sample_every ?? every);
    const record = await deps.jobRecords.start({
      _id: id,
      created_at: new Date(event.created_at),
      expected_frames: info.frameCount ? sampledFrameCount(info.frameCount, every) : null,
      parameters,
      video: {
        width: info.width,
        height: info.height,
        fps: info.fps ?? null,
        duration_ms: info.durationSeconds === undefined ? null : Math.round(info.durationSeconds * 1000),
        frame_count: info.frameCount ?? null,
        codec: info.codec,
        rotation: info.rotation,
      },
      input: event.payload,
      ...(traceparent ? { traceparent } : {}),
      ...(plan && plan.length > 1 ? { segments: plan.length } : {}),
    });
    if (!record) {
      log.info('job removed by a cleanup; its event is dropped');
      return;
    }
    if (record.status !== 'processing') return;
    // The record decides: a job started before (resumed, re-driven) keeps its segments.
    if ((record.segments ?? 1) > 1) {
      if (!plan || plan.length !== record.segments)
        throw new Error(`job ${id} was planned in ${record.segments} segments, the video now gives ${plan?.length ?? 1}`);
      await deps.bus.publish(
        TOPICS.videoSegments,
        plan.map((p) =>
          encodeSegmentTask({
            event_id: id,
            segment: p.segment,
            segments: p.segments,
            first_frame: p.firstFrame,
            from_pts: p.fromPts,
            to_pts: p.toPts,
            seek_seconds: p.seekSeconds,
            pts_offset: index!.ptsOffset,
            sampled_pts: p.sampledPts,
            ...(p.segment === p.segments - 1 && tail ? { lost_tail: tail } : {}),
            ...(traceparent ? { traceparent } : {}),
          }),
        ),
      );
      log.info({ segments: plan.length, segment_seconds: segmentSeconds }, 'video split into segments');
      return;
    }
    await withExtractionSlot(deps, id, () => extractRange(deps, record, local.path, info, log, traceparent, undefined));
  } catch (err) {
    if (!(err instanceof VideoDecodeError)) throw err;
    log.warn({ reason: err.message }, 'video cannot be decoded; job failed');
    await deps.frameCollection.markFailed(id, err.message, new Date(), submitted);
  } finally {
    await local.release();
  }
};

/**
 * Runner, first half for a long video: a `video_segments` message → that segment's sampled,
 * preprocessed frames on `inference_tasks`, numbered and timed as in an unsplit run; its count
 * goes to the record, and the segment reporting last (with every frame's result in) makes the job
 * `predictable`. Safe to redeliver, as `extractFrames`: a runner killed mid-segment costs only
 * that segment, re-extracted by whichever runner takes it next.
 */
export const extractSegment: Handler<ExtractDeps> = async (message, deps) => {
  const task = decodeSegmentTask(message.value);
  const id = task.event_id;
  const traceparent = message.headers.traceparent ?? task.traceparent;
  const log = deps.log.child({ event_id: id, trace_id: traceIdOf(traceparent), segment: task.segment });
  const record = await deps.jobRecords.get(id);
  if (!record || record.status !== 'processing' || !record.input || !record.video) {
    log.debug({ status: record?.status }, 'segment of a job that is not being extracted; ignored');
    return;
  }
  const local = await localCopy(deps.objects, record.input.object);
  try {
    const segment = {
      segment: task.segment,
      firstFrame: task.first_frame,
      fromPts: task.from_pts,
      toPts: task.to_pts,
      seekSeconds: task.seek_seconds,
      sampledPts: task.sampled_pts,
      ptsOffset: task.pts_offset,
      ...(task.lost_tail ? { lostTail: task.lost_tail } : {}),
    };
    const info = { width: record.video.width, height: record.video.height, codec: record.video.codec };
    await withExtractionSlot(deps, id, () => extractRange(deps, record, local.path, info, log, traceparent, segment));
  } catch (err) {
    if (!(err instanceof VideoDecodeError)) throw err;
    log.warn({ reason: err.message }, 'video segment cannot be decoded; job failed');
    await deps.frameCollection.markFailed(id, err.message, new Date());
  } finally {
    await local.release();
  }
};

/** Runs `work` holding one of the runner's extraction slots (round-robin by job), if it has them. */
async function withExtractionSlot<T>(deps: ExtractDeps, job: string, work: () => Promise<T>): Promise<T> {
  const release = deps.extractionGate ? await deps.extractionGate.acquire(job) : () => undefined;
  try {
    return await work();
  } finally {
    release();
  }
}

type Segment = NonNullable<FrameReadOptions['segment']>;

/**
 * The frame loop: decodes `segment` (undefined: the whole video) of the job's video, skips frames
 * that already have a result, prepares and publishes the rest, paced, and records the count; the
 * job becomes `predictable` here when every frame's result is already in.
 */
async function extractRange(
  deps: ExtractDeps,
  record: RunnerRecord,
  path: string,
  info: { width: number; height: number; codec: string },
  log: Logger,
  traceparent: string | undefined,
  segment: Segment | undefined,
): Promise<void> {
  const id = record._id;
  // The record's parameters, not this delivery's: a resumed job keeps what it started with.
  const { model, confidence, iou, classes, class_agnostic_nms: agnostic, sample_every: every } = record.parameters;
  const options = {
    ...(confidence !== undefined ? { confidence } : {}),
    ...(iou !== undefined ? { iou } : {}),
    ...(classes ? { classes } : {}),
    ...(agnostic ? { class_agnostic_nms: true } : {}),
  };
  const done = new Set<number>();
  if (record.received_frames > 0) for await (const r of deps.frameCollection.frameResults(id)) done.add(r.frame);
  if (segment && sampledFrames(segment, every).every((f) => done.has(f))) {
    // A re-driven job's finished segment: nothing to decode; its count is what it samples.
    await finish(deps, id, segment.sampledPts.length, segment, log);
    return;
  }
  const input = deps.modelInput(model);
  const size = input && travelSize(info.width, info.height, input);
  log.info(
    {
      every,
      codec: info.codec,
      width: info.width,
      height: info.height,
      resumed: done.size,
      frame_size: size && `${size.width}x${size.height}`,
      ...(segment ? { first_frame: segment.firstFrame, frames: segment.sampledPts.length } : {}),
    },
    'extracting frames',
  );
  let total = 0;
  /** Publishes not yet resolved: on a transient bus, the frames in flight. */
  const publishing = new Set<Promise<void>>();
  /** Pixel buffers of frames whose publish resolved: nothing reads them any more. */
  const spare: Uint8Array[] = [];
  /** The job's count of stored results, as last read (pacing by results). */
  let received = record.received_frames;
  let damage: DamageReport | undefined;
  const onDamage = (d: DamageReport) => void (damage = d);
  // `reuse`: each decoded frame is prepared (copied) before the next one is asked for.
  for await (const { frame, timestampMs, image } of deps.frames.frames(path, every, { reuse: true, onDamage, ...(segment ? { segment } : {}) })) {
    deps.signal.throwIfAborted();
    total++;
    const over = deps.limits && decodedFrameBreach(frame, timestampMs, deps.limits);
    if (over) {
      // Breaking out of the loop stops ffmpeg; results of frames already sent change nothing once the job is failed.
      log.warn({ reason: over.message, frame }, 'video over a limit while decoding; job failed');
      await deps.frameCollection.markFailed(id, over.message, new Date());
      return;
    }
    if (done.has(frame)) continue;
    while (publishing.size >= deps.maxFramesInFlight) await Promise.race(publishing);
    if (total - 1 - received >= deps.maxFramesInFlight) {
      // Pacing by results waits here for detection; pacing by publishes only looks whether the
      // job is still on (once per maxFramesInFlight frames).
      const now = deps.pacing === 'results' ? await paced(deps, id, total - 1) : await stillProcessing(deps, id, total - 1);
      if (now === false) {
        log.info('job ended while extracting; extraction stopped');
        await Promise.allSettled(publishing);
        return;
      }
      received = now;
    }
    const release = deps.gate ? await deps.gate.acquire(id) : () => undefined;
    let prepared, encoded;
    try {
      prepared = deps.preparer.prepare(image, { preprocess: deps.preprocessing, ...(size ? { size } : {}) }, spare.pop());
      encoded = await encodeFrameWithin(deps.codec, prepared, deps.maxFrameBytes);
    } catch (err) {
      release();
      throw err;
    }
    const pixels = prepared.data;
    const sent: Promise<void> = deps.bus
      .publish(TOPICS.inferenceTasks, [
        {
          key: `${id}/${frame}`,
          value: encoded.bytes,
          headers: inferenceTaskHeaders(
            { eventId: id, frame, model, options, ...(timestampMs !== undefined ? { timestampMs } : {}) },
            image.width,
            image.height,
            traceparentToSend(traceparent, traceparent && childTraceparent(traceparent)),
            encoded.contentType,
          ),
        },
      ])
      .then(
        () => {
          release();
          publishing.delete(sent);
          if (spare.length < 4) spare.push(pixels);
          deps.metrics?.framesExtracted.inc();
        },
        (err: unknown) => {
          release();
          throw err;
        },
      );
    // A rejection is seen below (the race or the final wait); this only keeps it from being reported unhandled meanwhile.
    sent.catch(() => undefined);
    publishing.add(sent);
  }
  // Every frame's publish must have resolved before the job's event is acknowledged.
  await Promise.all(publishing);
  if (damage) {
    // Written before the count, so that the publisher (which runs once every count is in) finds
    // it; the publisher decides between warnings and failure once it has every segment's.
    log.warn({ sampled_missing: damage.sampled_missing, sampled_expected: damage.sampled_expected, ranges: damage.ranges }, 'damaged frames skipped');
    await deps.objects.put(damageKey(id, segment?.segment ?? 0), Readable.from([JSON.stringify(damage)]), 'application/json');
  }
  await finish(deps, id, total, segment, log);
}

/** Records the count of sampled frames (of the segment); marks the job when every frame's result is in. */
async function finish(deps: ExtractDeps, id: string, total: number, segment: Segment | undefined, log: Logger): Promise<void> {
  const after = await deps.frameCollection.setTotalFrames(id, total, segment?.segment);
  log.info({ total_frames: total, ...(segment ? { segment: segment.segment } : {}) }, segment ? 'segment extracted' : 'frames extracted');
  // Whichever of the extractors and the collector writes last sees every frame in.
  if (after && allFramesIn(after) && (await deps.frameCollection.markPredictable(id))) {
    log.info({ total_frames: after.total_frames }, 'all frames detected; job predictable');
    deps.onPredictable?.();
  }
}

/**
 * What the job runs with: its own sampling rule and thresholds, else the server's, resolved
 * against the video's rate. Recorded on the runner record and published with the result.
 */
function jobParameters(payload: VideoRef, deps: Pick<ExtractDeps, 'sampling' | 'detection'>, fps: number | undefined): JobParameters {
  const o = payload.options ?? {};
  const defaults = deps.detection(payload.model);
  const rule: SamplingRule =
    o.sample_every !== undefined ? { everyNFrames: o.sample_every } : o.sample_fps !== undefined ? { targetFps: o.sample_fps } : deps.sampling;
  return {
    sample_every: sampleEvery(rule, fps),
    ...('targetFps' in rule ? { sample_fps: rule.targetFps } : {}),
    ...(payload.model ? { model: payload.model } : {}),
    confidence: o.confidence ?? defaults.confidence,
    iou: o.iou ?? defaults.iou,
    ...(o.classes ? { classes: o.classes } : {}),
    ...(defaults.class_agnostic_nms ? { class_agnostic_nms: true } : {}),
    ...(o.annotate ? { annotate: true } : {}),
  };
}

/** `extracted` while the job is processing (the next look is due `maxFramesInFlight` frames on), else false. */
async function stillProcessing(deps: ExtractDeps, id: string, extracted: number): Promise<number | false> {
  const record = await deps.jobRecords.get(id);
  return record?.status === 'processing' ? extracted : false;
}

/**
 * Waits while `extracted` frames are `maxFramesInFlight` or more ahead of the job's detected
 * frames, so extraction runs alongside detection instead of in a burst that competes with it for
 * CPU (and fills the bus). Returns the job's count of results once it may go on, or false when the
 * job is no longer processing (failed, deleted).
 */
async function paced(deps: ExtractDeps, id: string, extracted: number): Promise<number | false> {
  // Each look is a read of the job's record (a query the MongoDB-protocol server pays for); a frame
  // takes tens of milliseconds to detect, so looking every 20–200 ms keeps the window full at a
  // tenth of the reads of a tighter poll. And once the window is full, it waits for a quarter of
  // it to free: the next quarter's frames then go out without a read each (a read per frame
  // otherwise), while three quarters stay in flight to keep every model busy.
  const refill = Math.max(1, Math.floor(deps.maxFramesInFlight / 4));
  for (let wait = 20; ; wait = Math.min(wait * 2, 200)) {
    const record = await deps.jobRecords.get(id);
    if (!record || record.status !== 'processing') return false;
    if (extracted - record.received_frames <= deps.maxFramesInFlight - refill) return record.received_frames;
    deps.signal.throwIfAborted();
    await new Promise((r) => setTimeout(r, wait));
  }
}
