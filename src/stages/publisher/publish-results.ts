import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { ObjectStore } from '../../ports/object-store.js';
import type { RunnerStore } from '../../ports/runner-store.js';
import { detectionDocument } from '../../core/result-document.js';
import { detectionKey } from '../../core/ids.js';

export interface PublishDeps {
  runs: RunnerStore;
  objects: ObjectStore;
  log: Logger;
  batchSize: number;
  /** This publisher's name in its claims. */
  owner: string;
  /** How long a claim lasts: a publisher that dies holding jobs frees them after this. */
  leaseMs: number;
}

/**
 * One result-publisher round (the second outbox): for each `predictable` job, write
 * `detection/{id}.json` — an idempotent overwrite, so a crash before the status change only
 * repeats it — then move the job to `ready` if it is still `predictable`. Returns jobs published.
 */
export async function publishRound(deps: PublishDeps): Promise<number> {
  const jobs = await deps.runs.claimPredictable({ owner: deps.owner, limit: deps.batchSize, leaseMs: deps.leaseMs, now: new Date() });
  for (const job of jobs) {
    const key = detectionKey(job._id);
    const doc = detectionDocument(
      { event_id: job._id, total_frames: job.total_frames ?? 0, parameters: job.parameters },
      deps.runs.frameResults(job._id),
    );
    await deps.objects.put(key, Readable.from(doc), 'application/json');
    if (await deps.runs.markReady(job._id, new Date(), { bucket: deps.objects.bucket, object: key })) {
      deps.log.info({ event_id: job._id, object: key }, 'detections published; job ready');
    }
  }
  return jobs.length;
}
