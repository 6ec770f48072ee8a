import type { Logger } from 'pino';
import type { FrameCollection } from '../../ports/frame-collection.js';
import type { Publisher } from '../../ports/bus-publisher.js';
import { VIDEO_SUBMITTED } from '../../core/job.js';
import { encodeOutboxEvent } from '../../core/messages.js';
import { TOPICS } from '../../core/topics.js';
import { traceIdOf } from '../../core/trace.js';

export interface RedriveDeps {
  frameCollection: FrameCollection;
  bus: Publisher;
  log: Logger;
  /** A `processing` job with no new frame result for this long has stalled. */
  stallTimeoutMs: number;
  /** Times a stalled job is driven again (re-published) before it is failed (`FRAMEWISE_MAX_JOB_DRIVES`). */
  maxStallRedrives: number;
}

/**
 * One sweep for stalled jobs: a job whose frames stopped arriving (a worker died holding them, a
 * result was dead-lettered) is driven again by re-publishing its `video.submitted` event: the
 * runner resumes it, re-extracting only frames without a result. Past `maxStallRedrives` re-drives it is failed,
 * so no job stays `processing` forever. Returns how many jobs it handled.
 */
export async function redriveStalled(deps: RedriveDeps): Promise<number> {
  const now = new Date();
  const stalled = await deps.frameCollection.claimStalled(new Date(now.getTime() - deps.stallTimeoutMs), now, 50);
  for (const job of stalled) {
    const drives = job.drives ?? 1;
    const log = deps.log.child({ event_id: job._id, trace_id: traceIdOf(job.traceparent) });
    if (drives > deps.maxStallRedrives || !job.input) {
      const reason = `no frame result for ${Math.round(deps.stallTimeoutMs / 1000)} s after ${drives - 1} re-drives: frames stopped arriving`;
      if (await deps.frameCollection.markFailed(job._id, reason, now)) log.error({ drives: drives - 1 }, 'stalled job failed');
      continue;
    }
    const message = encodeOutboxEvent({
      _id: job._id,
      event_type: VIDEO_SUBMITTED,
      aggregate_type: 'job',
      aggregate_id: job._id,
      payload: job.input,
      created_at: job.created_at,
      ...(job.traceparent ? { traceparent: job.traceparent } : {}),
    });
    await deps.bus.publish(TOPICS.outboxEvents, [{ ...message, headers: { ...message.headers, redrive: String(drives) } }]);
    log.warn({ drive: drives, received_frames: job.received_frames, total_frames: job.total_frames }, 'job stalled; driven again');
  }
  return stalled.length;
}
