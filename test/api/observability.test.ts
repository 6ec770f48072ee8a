import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import type { OutboxDatabase } from '../../src/ports/outbox-database.js';
import type { Api } from '../../src/stages/api/app.js';
import { Metrics } from '../../src/observability/metrics.js';
import { sqliteCheck } from '../../src/modes/ready-checks.js';
import { traceIdOf } from '../../src/core/trace.js';
import { multipart } from '../support/multipart.js';
import { startApiFixture, type ApiFixture } from '../support/api-fixture.js';

/** A Prometheus sample's value: `name{…labels…} value`, matched on the labels given. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').pop());
  }
  return undefined;
}

describe('API observability: /ready, HTTP request metrics, trace ids in request logs', () => {
  let fx: ApiFixture;
  let spare: SqliteDatabase;
  let api: Api;
  let metrics: Metrics;
  let outboxDb: OutboxDatabase;
  const lines: Array<Record<string, unknown>> = [];

  before(async () => {
    metrics = new Metrics('test');
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
          done();
        },
      }),
    );
    fx = await startApiFixture('observability', ({ dir, db, objects }) => {
      // A second, real database the test closes: its check then fails as a dead database's would.
      spare = openDatabase(join(dir, 'spare.sqlite'));
      return { log, metrics, readyChecks: { sqlite: sqliteCheck(db), spare: sqliteCheck(spare), objects: () => objects.ping() } };
    });
    ({ api, outboxDb } = fx);
  });
  after(async () => {
    if (spare.open) spare.close();
    await fx.close();
  });

  test('/ready and /api/ready: 200 with every check ok; 503 naming the dependency that fails; /health stays 200', async () => {
    for (const url of ['/ready', '/api/ready']) {
      const r = await api.inject({ url });
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json(), { status: 'ready', checks: { sqlite: 'ok', spare: 'ok', objects: 'ok' } });
    }
    spare.close();
    for (const url of ['/ready', '/api/ready']) {
      const r = await api.inject({ url });
      assert.equal(r.statusCode, 503, r.body);
      const body = r.json() as { status: string; checks: Record<string, string> };
      assert.equal(body.status, 'not_ready');
      assert.equal(body.checks.sqlite, 'ok');
      assert.equal(body.checks.objects, 'ok');
      assert.match(body.checks.spare!, /not open/i, 'the failing check says why');
    }
    for (const url of ['/health', '/api/health']) assert.equal((await api.inject({ url })).statusCode, 200, `${url} is liveness only`);
  });

  test('request metrics are labelled by route pattern, method and status — never by the raw URL', async () => {
    const ids = ['7b0c2a52-6f0e-4f0a-9d52-0f1f1b0b0b01', '7b0c2a52-6f0e-4f0a-9d52-0f1f1b0b0b02', '7b0c2a52-6f0e-4f0a-9d52-0f1f1b0b0b03'];
    for (const id of ids) assert.equal((await api.inject({ url: `/api/result_video/${id}` })).statusCode, 404);
    assert.equal((await api.inject({ url: '/api/result_video/not-a-uuid' })).statusCode, 400);
    assert.equal((await api.inject({ url: `/no/such/route/${ids[0]}` })).statusCode, 404);
    const body = multipart('file', 'clip.mp4', await readFile(new URL('../fixtures/vtest-10s.mp4', import.meta.url)), 'video/mp4');
    assert.equal((await api.inject({ method: 'POST', url: '/api/upload_video', ...body })).statusCode, 200);

    const text = (await api.inject({ url: '/metrics' })).body;
    const route = '/api/result_video/:event_id';
    assert.equal(sample(text, 'framewise_http_requests_total', { method: 'GET', route, status_code: '404' }), 3, 'three ids, one series');
    assert.equal(sample(text, 'framewise_http_requests_total', { method: 'GET', route, status_code: '400' }), 1);
    assert.equal(sample(text, 'framewise_http_request_duration_seconds_count', { method: 'GET', route, status_code: '404' }), 3);
    assert.ok((sample(text, 'framewise_http_request_duration_seconds_sum', { method: 'GET', route, status_code: '404' }) ?? 0) > 0, 'durations recorded');
    assert.equal(
      sample(text, 'framewise_http_requests_total', { method: 'GET', route: 'unmatched', status_code: '404' }),
      1,
      'no route: one "unmatched" series',
    );
    assert.equal(sample(text, 'framewise_http_requests_total', { method: 'POST', route: '/api/upload_video', status_code: '200' }), 1);
    assert.equal(
      sample(text, 'framewise_http_request_duration_seconds_bucket', { le: '+Inf', method: 'POST', route: '/api/upload_video', status_code: '200' }),
      1,
    );
    for (const id of ids) assert.ok(!text.includes(id), `no job id in any label (${id})`);
    assert.ok(!text.includes('/no/such/route'), 'no raw URL in any label');
  });

  test('request log lines carry the request’s trace id: the client’s traceparent, else a new one — the one its job keeps', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const before = lines.length;
    const video = await readFile(new URL('../fixtures/vtest-10s.mp4', import.meta.url));
    const upload = (headers: Record<string, string>) => {
      const body = multipart('file', 'clip.mp4', video, 'video/mp4');
      return api.inject({ method: 'POST', url: '/api/upload_video', payload: body.payload, headers: { ...body.headers, ...headers } });
    };
    const traced = await upload({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    const untraced = await upload({});
    const reqLines = (id: unknown) => lines.slice(before).filter((l) => l.reqId === id);
    const tracedId = traced.json().event_id as string;
    const untracedId = untraced.json().event_id as string;
    const tracedReq = lines.slice(before).find((l) => l.event_id === tracedId)!.reqId;
    const untracedReq = lines.slice(before).find((l) => l.event_id === untracedId)!.reqId;
    assert.ok(reqLines(tracedReq).length >= 2, 'accepted, completed');
    for (const l of reqLines(tracedReq)) assert.equal(l.trace_id, traceId, JSON.stringify(l));
    const generated = reqLines(untracedReq)[0]!.trace_id as string;
    assert.match(generated, /^[0-9a-f]{32}$/);
    assert.notEqual(generated, traceId);
    for (const l of reqLines(untracedReq)) assert.equal(l.trace_id, generated, 'one trace id for the whole request');
    assert.equal(traceIdOf((await outboxDb.outboxEvents.get(untracedId))?.traceparent), generated, 'the job continues the trace its request logged');
    assert.equal(traceIdOf((await outboxDb.outboxEvents.get(tracedId))?.traceparent), traceId);
  });
});
