import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { ObjectStore } from '../../ports/object-store.js';
import type { ResultsOutbox } from '../../ports/results-outbox.js';
import type { FrameCollection } from '../../ports/frame-collection.js';
import type { ResultsDeadLetters } from '../../ports/results-dead-letters.js';
import type { RunnerRecord } from '../../core/job.js';
import { detectionDocument, publishedFrames } from '../../core/result-document.js';
import type { VideoAnnotator } from '../../ports/video-annotator.js';
import { renderAnnotationFor } from './annotate-job.js';
import { damageKey, detectionKey } from '../../core/ids.js';
import { damageVerdict, DEFAULT_MAX_DAMAGED_SHARE, type DamageReport, type ResultWarning } from '../../core/damage.js';
import { ObjectNotFoundError } from '../../ports/object-store.js';
import { traceIdOf } from '../../core/trace.js';
import { inJobSpan } from '../../observability/job-spans.js';
import type { RetryPolicy } from '../../core/retry-policy.js';
import { dispatchRound, type DispatchObserver } from '../../core/outbox-dispatcher.js';

export interface PublishDeps {
  resultsOutbox: ResultsOutbox;
  /** The job's collected frame results, which its document holds; `markFailed` fails a job too damaged to publish. */
  frameCollection: Pick<FrameCollection, 'frameResults' | 'markFailed'>;
  /** Expired dead letters are purged (`startResultPublisher`). */
  resultsDeadLetters: Pick<ResultsDeadLetters, 'purgeDead'>;
  objects: ObjectStore;
  log: Logger;
  batchSize: number;
  /** This publisher's name in its claims. */
  owner: string;
  /** How long a claim lasts: a publisher that dies holding jobs frees them after this. */
  leaseMs: number;
  retry: RetryPolicy;
  observer?: DispatchObserver<RunnerRecord>;
  /** Renders the annotated MP4 of jobs that ask for one (`parameters.annotate`). */
  annotator?: VideoAnnotator;
  /** Share (0–1) of a job's sampled frames that may be damaged; over it the job fails (default `DEFAULT_MAX_DAMAGED_SHARE`). */
  maxDamagedShare?: number;
}

/** The damage reports the extraction of job `id` left (one per damaged segment; none for a clean video). */
async function damageReports(objects: ObjectStore, id: string, segments: number): Promise<DamageReport[]> {
  const out: DamageReport[] = [];
  for (let s = 0; s < segments; s++) {
    try {
      const chunks: Buffer[] = [];
      for await (const c of await objects.get(damageKey(id, s))) chunks.push(Buffer.from(c as Uint8Array));
      out.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as DamageReport);
    } catch (err) {
      if (!(err instanceof ObjectNotFoundError)) throw err;
    }
  }
  return out;
}

/**
 * One result-publisher round (the second outbox, on the same engine as the relay): for each due
 * `predictable` job, write `detection/{id}.mp4` if the job asked for it, then `detection/{id}.json`
 * — idempotent overwrites, so a crash before the
 * status change only repeats it — then move the job to `ready` if it is still `predictable`.
 * A job whose result cannot be written past its attempts becomes a dead letter (`failed`, replayable).
 */
export function publishRound(deps: PublishDeps): Promise<number> {
  const output = (id: string) => ({ bucket: deps.objects.bucket, object: detectionKey(id) });
  // Each delivered job's warnings, for its record (`complete` follows `deliverOne` in the round).
  const warningsOf = new Map<string, ResultWarning[]>();
  const deliver = async (job: RunnerRecord) => {
    // Damage is judged here, where every segment's report is in: the share counts the whole video.
    const reports = await damageReports(deps.objects, job._id, job.segments ?? 1);
    const verdict = damageVerdict(reports, job.total_frames ?? 0, deps.maxDamagedShare ?? DEFAULT_MAX_DAMAGED_SHARE);
    if (verdict.failure) {
      // `complete` then finds the job no longer predictable and leaves it failed.
      if (await deps.frameCollection.markFailed(job._id, verdict.failure, new Date()))
        deps.log.warn({ event_id: job._id, trace_id: traceIdOf(job.traceparent), reason: verdict.failure }, 'video too damaged; job failed');
      return;
    }
    // The annotated video first: clients take the JSON's presence as "ready" (a crash may come
    // before the status change), so everything the job asked for is in place before it.
    // A rendering failure is retried, then dead-lettered, like any publishing failure.
    if (job.parameters.annotate) {
      if (!deps.annotator) throw new Error('the job asks for an annotated video, but this publisher has no annotator');
      const started = Date.now();
      const rendered = await renderAnnotationFor(job, deps.objects, publishedFrames(deps.frameCollection.frameResults(job._id), job.video), {
        annotator: deps.annotator,
      });
      deps.log.info(
        { event_id: job._id, trace_id: traceIdOf(job.traceparent), object: rendered.object, bytes: rendered.size, seconds: (Date.now() - started) / 1000 },
        'annotated video rendered',
      );
    }
    const head = {
      event_id: job._id,
      total_frames: job.total_frames ?? 0,
      parameters: job.parameters,
      ...(job.video ? { video: job.video } : {}),
      ...(verdict.warnings.length ? { warnings: verdict.warnings } : {}),
    };
    warningsOf.set(job._id, verdict.warnings);
    const doc = detectionDocument(head, () => deps.frameCollection.frameResults(job._id));
    await deps.objects.put(output(job._id).object, Readable.from(doc), 'application/json');
  };
  return dispatchRound<RunnerRecord>({
    queue: {
      claim: (c) => deps.resultsOutbox.claimPredictable(c),
      complete: async (jobs, at) => {
        for (const job of jobs) {
          const warnings = warningsOf.get(job._id);
          warningsOf.delete(job._id);
          if (await deps.resultsOutbox.markReady(job._id, at, output(job._id), warnings)) {
            deps.log.info({ event_id: job._id, trace_id: traceIdOf(job.traceparent), object: output(job._id).object }, 'detections published; job ready');
          }
        }
      },
      retryLater: async (job, error, next) => void (await deps.resultsOutbox.recordPublishFailure(job._id, error, next)),
      bury: async (job, error, at) => void (await deps.resultsOutbox.markPublishDead(job._id, `the result could not be published: ${error}`, at)),
    },
    // A span per job, a child of the job's trace (when OpenTelemetry is on).
    deliverOne: (job) =>
      inJobSpan('publish', job.traceparent, { 'framewise.event_id': job._id, 'framewise.annotate': job.parameters.annotate === true }, () => deliver(job)),
    owner: deps.owner,
    leaseMs: deps.leaseMs,
    batchSize: deps.batchSize,
    policy: deps.retry,
    log: deps.log,
    describe: (job) => ({ event_id: job._id, trace_id: traceIdOf(job.traceparent) }),
    attemptsOf: (job) => job.publish_attempts ?? 0,
    observer: deps.observer,
  });
}
