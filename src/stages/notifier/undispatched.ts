import type { Logger } from 'pino';
import type { JobsDeadLetters } from '../../ports/jobs-dead-letters.js';
import type { OutboxEvents } from '../../ports/outbox-events.js';
import type { UndispatchedJobs } from '../../ports/undispatched-jobs.js';
import { webhookUrlOf } from '../../core/notification.js';
import { traceIdOf } from '../../core/trace.js';
import type { OutboxEvent } from '../../core/job.js';

export interface UndispatchedDeps {
  /** The jobs outbox's dead events: the jobs that died before dispatch. */
  jobsDeadLetters: Pick<JobsDeadLetters, 'listDead'>;
  /** Whether such an event is still dead (an operator may have replayed it meanwhile). */
  outboxEvents: Pick<OutboxEvents, 'get'>;
  undispatchedJobs: UndispatchedJobs;
  log: Logger;
  /** Dead events read per sweep (oldest first). */
  limit: number;
}

/** Why a job whose event died in the jobs outbox failed (as the API words it). */
export const undispatchedReason = (e: Pick<OutboxEvent, 'attempts' | 'last_error'>) =>
  `the job could not be dispatched after ${e.attempts} attempts: ${e.last_error ?? 'unknown error'}`;

/**
 * Jobs that failed before the runner ever had them: their `video.submitted` event became a dead
 * letter in the jobs outbox, so no runner record — the webhook's outbox — will ever end them. For
 * each dead event that asks for a webhook and whose job has no record, this records the job
 * `failed` with the reason and its notification due, in one insert (`failUndispatched`); the
 * notifier then delivers it like any other. The dead event stays the truth: a crash before the
 * insert is repaired by the next sweep, and an insert repeated is a no-op. A job the runner did
 * start (the relay's "failed" publish had in fact arrived) keeps its record and announces its own end.
 *
 * An operator's replay or discard of the dead event deletes the record first (`forgetUndispatched`,
 * in the dead-letter route). Should a sweep that read the event as dead insert after that, it sees
 * the event no longer dead and deletes its insert again.
 *
 * `seen` holds the dead events (id and time of death) a previous sweep handled, so a sweep costs
 * one read while nothing new died; the returned set replaces it. A sweep reads the oldest `limit`
 * dead events (the store lists no other way): beyond that many dead letters at once, newer ones wait
 * until operators replay or discard older ones, or retention removes them.
 */
export async function sweepUndispatched(deps: UndispatchedDeps, seen: ReadonlySet<string>): Promise<Set<string>> {
  const handled = new Set<string>();
  for (const e of await deps.jobsDeadLetters.listDead(deps.limit)) {
    const key = `${e._id}@${(e.dead_at ?? e.created_at).getTime()}`;
    if (!seen.has(key) && webhookUrlOf(e.payload)) await adopt(deps, e);
    handled.add(key);
  }
  return handled;
}

async function adopt(deps: UndispatchedDeps, e: OutboxEvent): Promise<void> {
  const job = { _id: e._id, created_at: e.created_at, input: e.payload, ...(e.traceparent ? { traceparent: e.traceparent } : {}) };
  if (!(await deps.undispatchedJobs.failUndispatched(job, undispatchedReason(e), e.dead_at ?? new Date()))) return;
  const log = deps.log.child({ event_id: e._id, trace_id: traceIdOf(e.traceparent) });
  if ((await deps.outboxEvents.get(e._id))?.status !== 'dead') {
    // Replayed or discarded while this sweep ran: the job is not failed after all.
    await deps.undispatchedJobs.forgetUndispatched(e._id);
    log.info('dead event replayed meanwhile; its failed record withdrawn');
    return;
  }
  log.info('job failed before dispatch; its webhook notification is due');
}
