import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutboxDatabase } from '../../src/ports/outbox-database.js';
import type { RunnerDatabase } from '../../src/ports/runner-database.js';
import { buildApi, type Api } from '../../src/stages/api/app.js';
import { Metrics } from '../../src/observability/metrics.js';
import { jobsBacklog, resultsBacklog } from '../../src/observability/backlog.js';
import { parseTraceparent } from '../../src/core/trace.js';
import { startApiFixture, type ApiFixture } from '../support/api-fixture.js';

const video = () => readFile(new URL('../fixtures/vtest-10s.mp4', import.meta.url));

function multipart(content: Buffer) {
  const boundary = '----framewise' + Math.random().toString(16).slice(2);
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="clip.mp4"\r\nContent-Type: video/mp4\r\n\r\n`);
  return {
    payload: Buffer.concat([head, content, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

describe('HTTP API: idempotent submission, trace context, dead letters, metrics', () => {
  let fx: ApiFixture;
  let dir: string;
  let api: Api;
  let keyed: Api;
  let outboxDb: OutboxDatabase;
  let runnerDb: RunnerDatabase;
  const ADMIN_KEY = 'an-admin-key-for-the-tests';

  before(async () => {
    fx = await startApiFixture('outbox-api', (stores) => {
      const metrics = new Metrics('test');
      metrics.addBacklogSource(jobsBacklog(stores.outboxDb.outboxEvents));
      metrics.addBacklogSource(resultsBacklog(stores.runnerDb.jobRecords, stores.runnerDb.resultsDeadLetters));
      return { metrics };
    });
    ({ dir, api, outboxDb, runnerDb } = fx);
    // The same stores and metrics behind an admin key.
    keyed = await buildApi({ ...fx.deps, adminKey: ADMIN_KEY });
  });
  after(async () => {
    await keyed.close();
    await fx.close();
  });

  const upload = async (headers: Record<string, string> = {}) => {
    const body = multipart(await video());
    return api.inject({ method: 'POST', url: '/api/upload_video', payload: body.payload, headers: { ...body.headers, ...headers } });
  };
  const inputs = async () => (await readdir(join(dir, 'objects', 'videos', 'input')).catch(() => [])).length;

  test('a retried upload with the same Idempotency-Key gets the same job; nothing is stored twice', async () => {
    const before = { jobs: (await outboxDb.outboxEvents.list()).length, inputs: await inputs() };
    const first = await upload({ 'idempotency-key': 'client-request-1' });
    assert.equal(first.statusCode, 200);
    const again = await upload({ 'idempotency-key': 'client-request-1' });
    assert.deepEqual(again.json(), first.json());
    const other = await upload({ 'idempotency-key': 'client-request-2' });
    assert.notEqual(other.json().event_id, first.json().event_id);
    assert.equal((await outboxDb.outboxEvents.list()).length, before.jobs + 2);
    assert.equal(await inputs(), before.inputs + 2);
  });

  test('concurrent uploads with one key create one job, and the losers’ uploads are removed', async () => {
    const before = { jobs: (await outboxDb.outboxEvents.list()).length, inputs: await inputs() };
    const rs = await Promise.all([1, 2, 3].map(() => upload({ 'idempotency-key': 'racing-key' })));
    const ids = new Set(rs.map((r) => r.json().event_id));
    assert.equal(ids.size, 1, JSON.stringify(rs.map((r) => r.json())));
    assert.equal((await outboxDb.outboxEvents.list()).length, before.jobs + 1);
    assert.equal(await inputs(), before.inputs + 1);
  });

  test('a malformed Idempotency-Key is a 400 in the one error shape', async () => {
    for (const key of ['', 'has space', 'x'.repeat(256), 'naïve']) {
      const r = await upload({ 'idempotency-key': key });
      assert.equal(r.statusCode, 400, JSON.stringify(key));
      assert.equal(r.json().error.code, 'ERR_IDEMPOTENCY_KEY_MALFORMED');
    }
  });

  test('POST /api/request honours Idempotency-Key too', async () => {
    const up = (await upload()).json().event_id as string;
    const object = (await outboxDb.outboxEvents.get(up))!.payload.object;
    const req = () => api.inject({ method: 'POST', url: '/api/request', payload: { object }, headers: { 'idempotency-key': 'request-key' } });
    const [a, b] = [await req(), await req()];
    assert.equal(a.statusCode, 200);
    assert.equal(a.json().event_id, b.json().event_id);
  });

  test('the request’s traceparent is kept with the event; without a valid one the API starts a trace', async () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const withTrace = (await upload({ traceparent: tp })).json().event_id as string;
    assert.equal((await outboxDb.outboxEvents.get(withTrace))?.traceparent, tp);
    for (const headers of [{}, { traceparent: 'not-a-trace' }] as Array<Record<string, string>>) {
      const id = (await upload(headers)).json().event_id as string;
      const stored = (await outboxDb.outboxEvents.get(id))?.traceparent;
      assert.ok(stored && parseTraceparent(stored) === stored, `a valid new trace: ${stored}`);
      assert.notEqual(stored, tp);
    }
    const e = await outboxDb.outboxEvents.get(withTrace);
    assert.equal(e?.event_type, 'video.submitted');
    assert.equal(e?.aggregate_type, 'job');
    assert.equal(e?.aggregate_id, withTrace);
    assert.equal(e?.topic, 'outbox_events');
  });

  test('a dead event shows as failed with its error; admins list, replay and discard dead letters of both outboxes', async () => {
    const id = (await upload()).json().event_id as string;
    await outboxDb.jobsOutbox.markDead(id, 'RECORD_TOO_LARGE', new Date());
    const failed = (await api.inject({ url: `/api/result_video/${id}` })).json();
    assert.equal(failed.status, 'failed');
    assert.match(failed.reason, /could not be dispatched after 1 attempts: RECORD_TOO_LARGE/);

    // The results outbox: a job whose detections could not be written.
    const job = (await upload()).json().event_id as string;
    await runnerDb.jobRecords.start({ _id: job, created_at: new Date(), expected_frames: 1, parameters: { sample_every: 5 } });
    await runnerDb.frameCollection.setTotalFrames(job, 1);
    await runnerDb.frameCollection.addFrameResult(job, { frame: 0, objects: [] });
    await runnerDb.frameCollection.markPredictable(job);
    await runnerDb.resultsOutbox.markPublishDead(job, 'the result could not be published: AccessDenied', new Date());

    const list = (await api.inject({ url: '/api/admin/dead_letters' })).json();
    assert.deepEqual(
      list.dead_letters.map((d: { outbox: string; event_id: string }) => `${d.outbox}/${d.event_id}`),
      [`jobs/${id}`, `results/${job}`],
    );
    assert.equal(list.dead_letters[0].last_error, 'RECORD_TOO_LARGE');
    assert.equal((await api.inject({ url: '/api/admin/dead_letters?outbox=results' })).json().total, 1);
    assert.equal((await api.inject({ url: '/api/admin/dead_letters?outbox=nope' })).statusCode, 400);

    const replay = await api.inject({ method: 'POST', url: `/api/admin/dead_letters/jobs/${id}/replay` });
    assert.equal(replay.statusCode, 200);
    assert.equal(replay.json().action, 'replayed');
    assert.equal((await outboxDb.outboxEvents.get(id))?.status, 'new');
    assert.equal((await api.inject({ url: `/api/result_video/${id}` })).json().status, 'new');
    assert.equal((await api.inject({ method: 'POST', url: `/api/admin/dead_letters/jobs/${id}/replay` })).statusCode, 404, 'no longer dead');

    assert.equal((await api.inject({ method: 'POST', url: `/api/admin/dead_letters/results/${job}/replay` })).statusCode, 200);
    assert.equal((await runnerDb.jobRecords.get(job))?.status, 'predictable');

    await outboxDb.jobsOutbox.markDead(id, 'again', new Date());
    const discard = await api.inject({ method: 'DELETE', url: `/api/admin/dead_letters/jobs/${id}` });
    assert.equal(discard.statusCode, 200);
    assert.equal((await api.inject({ url: `/api/result_video/${id}` })).statusCode, 404, 'a discarded job-outbox event is gone');
    assert.equal((await api.inject({ method: 'DELETE', url: `/api/admin/dead_letters/jobs/${id}` })).json().error.code, 'ERR_DEAD_LETTER_NOT_FOUND');
    assert.equal((await api.inject({ method: 'DELETE', url: '/api/admin/dead_letters/jobs/not-a-uuid' })).json().error.code, 'ERR_JOB_ID_MALFORMED');
  });

  test('admin routes: loopback only without a key; with a key, only with the right bearer token', async () => {
    const remote = await api.inject({ url: '/api/admin/dead_letters', remoteAddress: '10.1.2.3' });
    assert.equal(remote.statusCode, 403);
    assert.equal(remote.json().error.code, 'ERR_AUTH_ADMIN_ONLY');
    for (const [authorization, code] of [
      [undefined, 'ERR_AUTH_REQUIRED'],
      ['Bearer wrong-key', 'ERR_AUTH_KEY_INVALID'],
      [`Basic ${ADMIN_KEY}`, 'ERR_AUTH_REQUIRED'],
    ] as const) {
      const r = await keyed.inject({ url: '/api/admin/dead_letters', headers: authorization ? { authorization } : {} });
      assert.equal(r.statusCode, 401, String(authorization));
      assert.equal(r.json().error.code, code);
    }
    const ok = await keyed.inject({ url: '/api/admin/dead_letters', remoteAddress: '10.1.2.3', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    assert.equal(ok.statusCode, 200);
  });

  test('a job whose sent event was removed after its retention is still found through its runner record', async () => {
    const id = (await upload()).json().event_id as string;
    await runnerDb.jobRecords.start({ _id: id, created_at: new Date(), expected_frames: 1, parameters: { sample_every: 5 } });
    await outboxDb.jobsOutbox.markSent([id], new Date(Date.now() - 10_000));
    assert.deepEqual(await outboxDb.jobsDeadLetters.purge(new Date(Date.now() - 5000), new Date(0)), { sent: 1, dead: 0 });
    assert.equal(await outboxDb.outboxEvents.get(id), undefined);
    assert.equal((await api.inject({ url: `/api/result_video/${id}` })).json().status, 'processing');
    const all = (await api.inject({ url: '/api/status/all' })).json();
    assert.ok(all.operations.some((o: { video_id: string; status_code: string }) => o.video_id === id && o.status_code === 'processing'));
  });

  test('GET /metrics exposes outbox backlog by status and job counters in the Prometheus format', async () => {
    const r = await api.inject({ url: '/metrics' });
    assert.equal(r.statusCode, 200);
    assert.match(r.headers['content-type'] as string, /^text\/plain/);
    const newEvents = (await outboxDb.outboxEvents.countByStatus()).new ?? 0;
    assert.ok(newEvents > 0);
    assert.match(r.body, new RegExp(`framewise_outbox_backlog\\{outbox="jobs",status="new",service="test"\\} ${newEvents}\\b`));
    assert.match(r.body, /framewise_outbox_backlog\{outbox="results",status="predictable",service="test"\} 1\b/);
    assert.match(r.body, /framewise_jobs_submitted_total\{service="test"\} \d+/);
    assert.match(r.body, /framewise_process_resident_memory_bytes/);
  });
});
