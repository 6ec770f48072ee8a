import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE, startServer, type Server } from './server.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';

/**
 * Observability of `framewise serve` as run: the job's trace id on every log line about it, /ready,
 * and (with OTEL_* set) OpenTelemetry spans exported to an OTLP/HTTP receiver — one trace from
 * the upload's HTTP span through extract, detect, collect and publish.
 */

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN = 'b7ad6b7169203331';
/** The client's trace context: the upload's parent span, then a new span per poll (same trace). */
const traceparent = (span = randomBytes(8).toString('hex')) => `00-${TRACE_ID}-${span}-01`;

async function upload(url: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([await readFile(FIXTURE)]), 'vtest-10s.mp4');
  const r = await fetch(`${url}/api/upload_video`, { method: 'POST', body: form, headers: { traceparent: traceparent(CLIENT_SPAN) } });
  assert.equal(r.status, 200, await r.clone().text());
  return ((await r.json()) as { event_id: string }).event_id;
}

/** Polls the result as a traced client would (its trace context on every request) until ready. */
async function waitReady(url: string, id: string, timeoutMs = 180_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = (await (await fetch(`${url}/api/result_video/${id}`, { headers: { traceparent: traceparent() } })).json()) as { status: string };
    if (r.status === 'ready') return;
    assert.notEqual(r.status, 'failed', JSON.stringify(r));
    if (Date.now() > until) throw new Error(`job ${id} still ${r.status} after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

describe('embedded observability', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-e2e-observability-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('every log line about a job carries its event id and the trace id of its upload’s traceparent, in every stage; /ready is 200', async () => {
    const server = await startServer(join(dir, 'logs'));
    let id: string;
    try {
      const ready = await fetch(`${server.url}/ready`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { status: 'ready', checks: { sqlite: 'ok', objects: 'ok', detector: 'ok' } });
      id = await upload(server.url);
      await waitReady(server.url, id);
    } finally {
      // Stopping flushes every line the job made (the last ones come right after `ready`).
      await server.stop();
    }
    const about = server.log.filter((l) => l.includes(id));
    const entries = about.map((l) => JSON.parse(l) as { msg: string; stage?: string; event_id?: string; trace_id?: string; req?: unknown });
    for (const [i, e] of entries.entries()) assert.equal(e.trace_id, TRACE_ID, `line without the job's trace id: ${about[i]!.slice(0, 300)}`);
    const pipeline = entries.filter((e) => e.event_id === id);
    for (const [stage, msg] of [
      ['api', 'video accepted'],
      ['runner', 'extracting frames'],
      ['runner', 'frames extracted'],
      ['runner', 'all frames detected; job predictable'],
      ['publisher', 'detections published; job ready'],
    ]) {
      assert.ok(
        pipeline.some((e) => e.stage === stage && e.msg === msg),
        `${stage} logged "${msg}" with event_id ${id}:\n${about.join('\n')}`,
      );
    }
    assert.ok(
      entries.some((e) => e.req !== undefined),
      'the polls’ request lines (which name the job in their URL) are among them',
    );
  });

  describe('OpenTelemetry export (OTEL_* set) to a local OTLP/HTTP receiver', () => {
    let receiver: OtlpReceiver;
    let endpoint: string;
    let spans: ReceivedSpan[];

    before(async () => {
      receiver = await startOtlpReceiver();
      ({ endpoint, spans } = receiver);
    });
    after(() => receiver.close());

    test('one trace follows the job: the upload’s HTTP server span (child of the client’s), then extract → detect → collect, and publish', async () => {
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100' };
      let server: Server | undefined = await startServer(join(dir, 'otel'), env);
      let id: string;
      try {
        assert.equal((await fetch(`${server.url}/ready`)).status, 200);
        id = await upload(server.url);
        await waitReady(server.url, id);
        // Bounded: the batch processor exports every 100 ms; stopping flushes whatever is left.
        const until = Date.now() + 10_000;
        while (!spans.some((s) => s.name === 'publish' && s.traceId === TRACE_ID) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
        await server.stop();
        server = undefined;
      } finally {
        await server?.stop();
      }
      const trace = spans.filter((s) => s.traceId === TRACE_ID);
      const attr = (s: ReceivedSpan, key: string) => Object.values(s.attributes?.find((a) => a.key === key)?.value ?? {})[0];
      const SERVER = 2;
      const http = trace.find((s) => s.kind === SERVER && String(attr(s, 'url.path') ?? attr(s, 'http.target') ?? '').startsWith('/api/upload_video'));
      assert.ok(http, `an HTTP server span for the upload: ${JSON.stringify(trace.map((s) => [s.name, s.kind]))}`);
      assert.equal(http.parentSpanId, CLIENT_SPAN, 'the server span continues the client’s traceparent');
      assert.equal(http.service, 'framewise', 'service.name defaults to the process (OTEL_SERVICE_NAME unset)');

      const named = (name: string) => trace.filter((s) => s.name === name && attr(s, 'framewise.event_id') === id);
      const [extract] = named('extract');
      assert.ok(extract, 'an extract span');
      assert.equal(extract.parentSpanId, http.spanId, 'the job continues the upload request’s span');
      // A frame detected or collected twice (a redelivery) has a span per attempt: count frames.
      const frames = (list: ReceivedSpan[]) => new Set(list.map((s) => attr(s, 'framewise.frame') ?? s.spanId)).size;
      const detects = named('detect');
      assert.equal(frames(detects), 20, 'a detect span per sampled frame');
      for (const d of detects) assert.equal(d.parentSpanId, extract.spanId, 'frames are sent from the extract span');
      const collects = named('collect');
      assert.ok(collects.length >= 20, 'a collect span per frame result');
      const detectIds = new Set(detects.map((d) => d.spanId));
      for (const c of collects) assert.ok(detectIds.has(c.parentSpanId!), 'each result is collected under the span that detected it');
      const [publish] = named('publish');
      assert.ok(publish, 'a publish span');
      assert.equal(publish.parentSpanId, http.spanId, 'publish is a child of the job’s trace context');
      assert.ok(!spans.some((s) => ['/ready', '/health', '/metrics'].includes(String(attr(s, 'url.path') ?? attr(s, 'http.target')))), 'probes make no spans');
    });
  });
});
