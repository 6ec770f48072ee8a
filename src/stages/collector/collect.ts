import type { Logger } from 'pino';
import type { FrameCollection } from '../../ports/frame-collection.js';
import { decodeInferenceResult } from '../../core/messages.js';
import { allFramesIn } from '../../core/job.js';
import type { Handler } from '../../handler-middleware/handler.js';
import { traceIdOf } from '../../core/trace.js';

export interface CollectDeps {
  frameCollection: FrameCollection;
  log: Logger;
  /** Told when a job became `predictable` (embedded mode wakes the result publisher). */
  onPredictable?: () => void;
}

/**
 * Runner, second half: stores each `inference_results` message once per (job, frame); when the
 * last frame is in, the job becomes `predictable`. Results for unknown or finished jobs are dropped.
 */
export const collectResult: Handler<CollectDeps> = async (message, deps) => {
  const result = decodeInferenceResult(message.value);
  const id = result.event_id;
  const log = deps.log.child({ event_id: id, trace_id: traceIdOf(message.headers.traceparent) });
  if (result.error !== undefined) {
    const failed = await deps.frameCollection.markFailed(id, `frame ${result.frame} could not be detected: ${result.error}`, new Date());
    if (failed) log.warn({ frame: result.frame, reason: result.error }, 'job failed at inference');
    return;
  }
  const record = await deps.frameCollection.addFrameResult(id, {
    frame: result.frame,
    ...(result.timestamp_ms !== undefined ? { timestamp_ms: result.timestamp_ms } : {}),
    objects: result.objects,
    ...(result.model ? { model: result.model } : {}),
  });
  if (record?.status === 'processing' && allFramesIn(record) && (await deps.frameCollection.markPredictable(id))) {
    log.info({ total_frames: record.total_frames }, 'all frames detected; job predictable');
    deps.onPredictable?.();
  }
};
