import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startCluster, stopAll, type StageProcess } from '../../scripts/cluster-local.js';
import { FIXTURE, getResult, isFinished, uploadFile, waitForResult } from '../e2e/server.js';
import { infraUp } from './infra.js';

before(infraUp, { timeout: 45 * 60_000 });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const statusAll = async (url: string) =>
  ((await (await fetch(`${url}/api/status/all`)).json()) as { operations: Array<{ video_id: string; status_code: string }> }).operations;
const framesDetected = async (worker: StageProcess) => ((await (await fetch(`${worker.url}/data`)).json()) as { frames_detected: number }).frames_detected;

/**
 * `DELETE /api/cleanup/all` while jobs are in every stage of the pipeline: events on
 * `outbox_events` not yet extracted, frames on `inference_tasks`, results on `inference_results`.
 * Before the cleanup cutoff, those messages brought the removed jobs back as `failed` records
 * ("the uploaded video is no longer in the object store"); now none may come back.
 */
describe('cluster mode: a cleanup with messages in flight', () => {
  let procs: StageProcess[] = [];
  let url = '';
  before(async () => {
    procs = await startCluster({ runners: 1, inference: 1 });
    url = procs.find((p) => p.stage === 'api')!.url!;
    assert.equal((await fetch(`${url}/api/cleanup/all`, { method: 'DELETE' })).status, 200);
  });
  after(() => stopAll(procs));

  test('no removed job comes back, whatever was still on Kafka; a job created after the cleanup is processed as ever', async () => {
    const video = await readFile(FIXTURE);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await uploadFile(url, video, `in-flight-${i}.mp4`)).body.event_id as string);
    // Frames of the first job are on the bus (one is detected); the others wait behind it.
    await waitForResult(url, ids[0]!, (r) => (r.progress?.frames_done ?? 0) >= 1 || isFinished(r), 180_000);
    const before = await Promise.all(ids.map((id) => getResult(url, id)));
    const unfinished = before.filter((r) => !isFinished(r)).length;
    assert.ok(unfinished >= 3, `jobs still in the pipeline at the cleanup: ${unfinished} of 6`);
    const worker = procs.find((p) => p.stage === 'inference')!;
    const detectedAtCleanup = await framesDetected(worker);

    const cleanup = await fetch(`${url}/api/cleanup/all`, { method: 'DELETE' });
    assert.equal(cleanup.status, 200);
    assert.equal(((await cleanup.json()) as { deleted_jobs: number }).deleted_jobs, 6);

    // Let every message of the removed jobs be consumed: until the worker has detected nothing
    // new for 8 s (its queued frames of removed jobs are still detected, then dropped).
    let detected = await framesDetected(worker);
    for (let quiet = 0, deadline = Date.now() + 180_000; quiet < 8 && Date.now() < deadline;) {
      await sleep(1_000);
      const now = await framesDetected(worker);
      quiet = now === detected ? quiet + 1 : 0;
      detected = now;
    }
    console.log(`# ${unfinished} of 6 jobs unfinished at the cleanup; ${detected - detectedAtCleanup} frames detected after it`);
    assert.deepEqual(await statusAll(url), [], 'no job came back');
    for (const id of ids) assert.equal((await fetch(`${url}/api/status/${id}`)).status, 404, `${id} stays removed`);
    for (const id of ids) assert.equal((await fetch(`${url}/api/video/${id}`)).status, 404, `${id}'s upload is deleted`);

    // The pipeline goes on: a job created after the cleanup is ready, and is the only one.
    const fresh = (await uploadFile(url, video, 'after-cleanup.mp4')).body.event_id as string;
    const done = await waitForResult(url, fresh, isFinished, 180_000);
    assert.equal(done.status, 'ready', JSON.stringify(done).slice(0, 300));
    assert.ok(done.prediction.length > 0, 'with its frames');
    assert.deepEqual(
      (await statusAll(url)).map((o) => o.video_id),
      [fresh],
    );
  });
});
