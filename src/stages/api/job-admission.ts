import type { FastifyReply } from 'fastify';
import type { OutboxEvents } from '../../ports/outbox-events.js';
import type { JobRecords } from '../../ports/job-records.js';
import type { ObjectStore } from '../../ports/object-store.js';
import { FramewiseError } from '../../core/errors.js';
import { parseEventId } from '../../core/ids.js';
import type { Principal } from './auth.js';
import { readableJob } from './job-view.js';

/**
 * Whether a new job may be created: how many unfinished jobs its key already has, and (for
 * `/api/request`) where its video may come from.
 */

interface AdmissionDeps {
  outboxEvents: OutboxEvents;
  jobRecords: JobRecords;
  objects: ObjectStore;
  maxActiveJobsPerKey?: number;
  requestBuckets?: readonly string[];
}

/** What a refused client is told to wait: jobs of the fixture's size end in seconds, long videos in minutes. */
export const ACTIVE_JOBS_RETRY_AFTER_S = 10;

/**
 * The jobs of `owner` that are not final (`ready` or `failed`): its outbox events still `new` or
 * `sent` whose runner record is missing or unfinished, plus its unfinished runner records whose
 * event is gone (removed after its retention). Two reads, both by owner (indexed), then one count
 * in the job records over the events' ids: the cost follows the key's jobs within the sent-event
 * retention (a day by default), not all jobs.
 */
export async function activeJobs(outboxEvents: Pick<OutboxEvents, 'idsOfOwner'>, jobRecords: Pick<JobRecords, 'countActive'>, owner: string): Promise<number> {
  return jobRecords.countActive(owner, await outboxEvents.idsOfOwner(owner, ['new', 'sent']));
}

/**
 * Refuses a new job of a key that has `maxActiveJobsPerKey` unfinished jobs: 429
 * `ERR_LIMIT_ACTIVE_JOBS` naming the limit, with `Retry-After`. No limit while authentication is
 * off (there is no key to count by) or when the limit is 0. Checked before the job is created, not
 * atomically with it: two uploads of one key at the same moment may both pass at `limit - 1`, so a
 * key may briefly hold a job or two over the limit (a bound on load, not an exact quota).
 */
export async function admitActiveJob(deps: AdmissionDeps, principal: Principal, reply: FastifyReply): Promise<void> {
  const limit = deps.maxActiveJobsPerKey ?? 0;
  if (!principal.authenticated || limit <= 0) return;
  const active = await activeJobs(deps.outboxEvents, deps.jobRecords, principal.keyId);
  if (active < limit) return;
  reply.header('retry-after', String(ACTIVE_JOBS_RETRY_AFTER_S));
  throw new FramewiseError('ERR_LIMIT_ACTIVE_JOBS', principal.keyId, active, limit);
}

/** `input/<job id>.<ext>`, as the upload route names what it stores: nothing else can be asked for. */
const INPUT_KEY = /^input\/([0-9a-f-]{36})\.[a-z0-9]{1,8}$/;

/**
 * Checks `/api/request`'s `bucket` and `object`: the bucket must be on the allow-list
 * (`FRAMEWISE_REQUEST_BUCKETS`, default the server's own; 400 `ERR_BUCKET_UNKNOWN`); the object
 * must be a key the server made (`input/<uuid>.<ext>`: no other prefix, no `..`, no client-chosen
 * name), of an upload the caller may see — a client may re-run its own videos only, never another
 * key's — and stored. Anything else is 404 `ERR_OBJECT_NOT_FOUND`, whichever rule refused it, so
 * the answer reveals nothing about other keys' uploads.
 */
export async function admitRequestedObject(deps: AdmissionDeps, principal: Principal, bucket: string, object: string): Promise<void> {
  const allowed = deps.requestBuckets ?? [deps.objects.bucket];
  if (!allowed.includes(bucket))
    throw new FramewiseError(
      'ERR_BUCKET_UNKNOWN',
      JSON.stringify(bucket),
      allowed.length > 0 ? allowed.join(', ') : 'none (FRAMEWISE_REQUEST_BUCKETS is empty)',
    );
  const notFound = () => new FramewiseError('ERR_OBJECT_NOT_FOUND', JSON.stringify(object.slice(0, 200)), bucket);
  const id = INPUT_KEY.exec(object)?.[1];
  if (id === undefined || !isEventId(id)) throw notFound();
  if (principal.authenticated && principal.role !== 'admin') {
    await readableJob(deps.outboxEvents, deps.jobRecords, id, principal, notFound);
  }
  if (!(await deps.objects.exists(object))) throw notFound();
}

/** Whether `id` is a UUID as the server writes it (lower case). */
function isEventId(id: string): boolean {
  try {
    return parseEventId(id) === id;
  } catch {
    return false;
  }
}
