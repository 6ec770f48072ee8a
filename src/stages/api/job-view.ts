import { text } from 'node:stream/consumers';
import type { OutboxStore } from '../../ports/outbox-store.js';
import type { RunnerStore } from '../../ports/runner-store.js';
import { ObjectNotFoundError, type ObjectStore } from '../../ports/object-store.js';
import { jobStatus, type JobStatus, type OutboxEvent, type RunnerRecord } from '../../core/job.js';
import { detectionKey } from '../../core/ids.js';
import { FramewiseError } from '../../core/errors.js';
import { secondsBetween } from '../../core/duration.js';
import type { FrameResult } from '../../core/types.js';

export interface JobView {
  id: string;
  status: JobStatus;
  event: OutboxEvent;
  run: RunnerRecord | undefined;
  processingSeconds: number;
}

/** A job as clients see it: outbox event + runner record, with a status and elapsed time. */
export function viewJob(event: OutboxEvent, run: RunnerRecord | undefined, now = new Date()): JobView {
  const status = jobStatus(event.status, run?.status);
  const end = status === 'ready' ? run?.ready_at : status === 'failed' ? run?.failed_at : undefined;
  return { id: event._id, status, event, run, processingSeconds: secondsBetween(event.created_at, end ?? now) };
}

export async function findJob(outbox: OutboxStore, runs: RunnerStore, id: string): Promise<JobView> {
  const event = await outbox.get(id);
  if (!event) throw new FramewiseError('ERR_JOB_NOT_FOUND', id);
  return viewJob(event, await runs.get(id));
}

/** The published prediction, or undefined while `detection/{id}.json` does not exist. */
export async function readPrediction(objects: ObjectStore, id: string): Promise<FrameResult[] | undefined> {
  try {
    const doc = JSON.parse(await text(await objects.get(detectionKey(id)))) as { prediction: FrameResult[] };
    return doc.prediction;
  } catch (err) {
    if (err instanceof ObjectNotFoundError) return undefined;
    throw err;
  }
}
