import type { Readable } from 'node:stream';
import type { OutboxEvents } from '../../ports/outbox-events.js';
import type { JobRecords } from '../../ports/job-records.js';
import { ObjectNotFoundError, type ObjectStore } from '../../ports/object-store.js';
import { jobStatus, STATUS_DESCRIPTIONS, type JobStatus, type OutboxEvent, type RunnerRecord } from '../../core/job.js';
import { detectionKey } from '../../core/ids.js';
import { FramewiseError } from '../../core/errors.js';
import { jobProgress } from '../../core/progress.js';
import { formatDuration, secondsBetween } from '../../core/duration.js';
import { clientReason } from '../../core/client-reason.js';
import { mayRead, type Principal } from './auth.js';

export interface JobView {
  id: string;
  status: JobStatus;
  run: RunnerRecord | undefined;
  /** Why it failed (status `failed` only). */
  reason: string | undefined;
  processingSeconds: number;
  /** The id of the key that created it; undefined for jobs made while authentication was off. */
  owner: string | undefined;
}

/** A job's owner: from its event, or (once the sent event is removed after its retention) its runner record's input. */
export const jobOwner = (event: OutboxEvent | undefined, run: RunnerRecord | undefined): string | undefined => event?.payload.owner ?? run?.input?.owner;

/**
 * A job as clients see it, from its outbox event and runner record (either may be missing: the
 * runner has not started it yet, or the sent event was removed after its retention).
 */
export function viewJob(event: OutboxEvent | undefined, run: RunnerRecord | undefined, now = new Date()): JobView {
  const status = jobStatus(event?.status, run?.status);
  const end = status === 'ready' ? run?.ready_at : status === 'failed' ? (run?.failed_at ?? event?.dead_at) : undefined;
  // Scrubbed here, where it leaves the server: the stored reason may name paths and hosts.
  const reason =
    status !== 'failed'
      ? undefined
      : clientReason(
          run?.error ??
            (event?.status === 'dead' ? `the job could not be dispatched after ${event.attempts} attempts: ${event.last_error ?? 'unknown error'}` : 'unknown'),
        );
  const created = event?.created_at ?? run?.created_at ?? now;
  return { id: (event?._id ?? run?._id)!, status, run, reason, processingSeconds: secondsBetween(created, end ?? now), owner: jobOwner(event, run) };
}

/** The `processing_time_*` pair every job answer carries. */
export function processingTime(job: JobView): { processing_time_seconds: number; processing_time_formatted: string } {
  return { processing_time_seconds: job.processingSeconds, processing_time_formatted: formatDuration(job.processingSeconds) };
}

/** `GET /api/status/{id}`'s answer (and each of its event stream's events). */
export function statusOf(job: JobView) {
  return {
    event_id: job.id,
    status: job.status,
    status_description: STATUS_DESCRIPTIONS[job.status],
    ...jobProgress(job.status, job.run, job.processingSeconds),
    ...processingTime(job),
    ...(job.status === 'failed' ? { reason: job.reason } : {}),
    ...(job.status === 'ready' && job.run?.warnings?.length ? { warnings: job.run.warnings } : {}),
  };
}

/**
 * The job `id` as `principal` may see it. Another key's job is answered exactly as a job that does
 * not exist (404 `ERR_JOB_NOT_FOUND`): a client cannot even learn that an id is taken.
 */
export async function findJob(
  outboxEvents: Pick<OutboxEvents, 'get'>,
  jobRecords: Pick<JobRecords, 'get'>,
  id: string,
  principal: Principal,
): Promise<JobView> {
  const { event, run } = await readableJob(outboxEvents, jobRecords, id, principal, () => new FramewiseError('ERR_JOB_NOT_FOUND', id));
  return viewJob(event, run);
}

/**
 * The outbox event and runner record of job `id`, if `principal` may read it (at least one of them
 * exists); else `notFound()` is thrown — one answer for "no such job" and "another key's job".
 */
export async function readableJob(
  outboxEvents: Pick<OutboxEvents, 'get'>,
  jobRecords: Pick<JobRecords, 'get'>,
  id: string,
  principal: Principal,
  notFound: () => Error,
): Promise<{ event: OutboxEvent | undefined; run: RunnerRecord | undefined }> {
  const [event, run] = await Promise.all([outboxEvents.get(id), jobRecords.get(id)]);
  if ((!event && !run) || !mayRead(principal, jobOwner(event, run))) throw notFound();
  return { event, run };
}

/** A stream of the published `detection/{id}.json`, or undefined while it does not exist. */
export async function openDocument(objects: ObjectStore, id: string): Promise<Readable | undefined> {
  try {
    return await objects.get(detectionKey(id));
  } catch (err) {
    if (err instanceof ObjectNotFoundError) return undefined;
    throw err;
  }
}
