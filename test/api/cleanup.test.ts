import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { multipart } from '../support/multipart.js';
import { startApiFixture, type ApiFixture } from '../support/api-fixture.js';
import type { NewOutboxEvent } from '../../src/core/job.js';

const VIDEO = new URL('../fixtures/vtest-10s.mp4', import.meta.url);

/** `DELETE /api/cleanup/all` and the cleanup cutoff, on the embedded stores (the cluster test puts messages in flight). */
describe('DELETE /api/cleanup/all: a cleanup cutoff', () => {
  let f: ApiFixture;
  /** Set by a test: runs as an upload's insert is about to land (a cleanup racing it). */
  let beforeInsert: ((event: NewOutboxEvent) => Promise<void>) | undefined;
  before(async () => {
    f = await startApiFixture('cleanup', (stores) => ({
      jobsOutbox: {
        insert: async (event, key) => {
          await beforeInsert?.(event);
          return stores.outboxDb.jobsOutbox.insert(event, key);
        },
        findByIdempotencyKey: (key) => stores.outboxDb.jobsOutbox.findByIdempotencyKey(key),
      },
    }));
  });
  after(() => f.close());

  const upload = async () => f.api.inject({ method: 'POST', url: '/api/upload_video', ...multipart('file', 'clip.mp4', await readFile(VIDEO)) });
  const storedFiles = async () =>
    (await readdir(join(f.dir, 'objects', 'videos'), { recursive: true, withFileTypes: true }).catch(() => [])).filter((e) => e.isFile()).map((e) => e.name);

  test('removes the jobs created before it; their late messages cannot bring them back', async () => {
    const ids = [];
    for (let i = 0; i < 2; i++) ids.push((await upload()).json().event_id as string);
    const event = (await f.outboxDb.outboxEvents.get(ids[0]!))!;
    await f.runnerDb.jobRecords.start({
      _id: ids[0]!,
      created_at: event.created_at,
      expected_frames: 2,
      parameters: { sample_every: 5 },
      input: event.payload,
    });
    const r = await f.api.inject({ method: 'DELETE', url: '/api/cleanup/all' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), { status: 'ok', deleted_jobs: 2 });
    assert.equal((await f.api.inject({ url: '/api/status/all' })).json().total, 0);
    assert.deepEqual(await storedFiles(), [], 'the uploads are deleted');
    // What the runner does with a message of a removed job still on the bus.
    assert.equal(
      await f.runnerDb.jobRecords.start({ _id: ids[1]!, created_at: event.created_at, expected_frames: 2, parameters: { sample_every: 5 } }),
      undefined,
    );
    assert.equal(
      await f.runnerDb.frameCollection.markFailed(ids[1]!, 'the uploaded video is no longer in the object store', new Date(), {
        created_at: event.created_at,
        input: event.payload,
      }),
      false,
    );
    for (const id of ids) assert.equal((await f.api.inject({ url: `/api/status/${id}` })).statusCode, 404);
    // A job created after it is a job as ever.
    const later = await upload();
    assert.equal(later.statusCode, 200);
    assert.equal((await f.api.inject({ url: `/api/status/${later.json().event_id}` })).statusCode, 200);
  });

  test('an upload whose event lands after a cleanup removed the jobs of its time gets 409 ERR_JOB_CLEANED_UP, and leaves nothing behind', async () => {
    await f.api.inject({ method: 'DELETE', url: '/api/cleanup/all' });
    // The cleanup runs between the job's creation (its `created_at`) and its event's insert: it
    // deleted the events before this one existed, so only the API's check can remove it.
    beforeInsert = async (event) => {
      beforeInsert = undefined;
      const cutoff = new Date(event.created_at.getTime() + 1);
      await f.runnerDb.jobRecords.clearBefore(cutoff);
      await f.outboxDb.outboxEvents.clearBefore(cutoff);
    };
    const raced = await upload();
    assert.equal(raced.statusCode, 409, raced.body);
    assert.equal(raced.json().error.code, 'ERR_JOB_CLEANED_UP');
    assert.equal((await f.api.inject({ url: '/api/status/all' })).json().total, 0, 'no job the runner would refuse is left queued');
    assert.deepEqual(await storedFiles(), [], 'its upload is deleted');
    await new Promise((r) => setTimeout(r, 5)); // past the cutoff, 1 ms after the raced job
    const again = await upload();
    assert.equal(again.statusCode, 200, 'sent again, it is accepted');
  });
});
