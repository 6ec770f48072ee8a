import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startStage, stopAll, type Stage, type StageProcess } from '../../scripts/cluster-local.js';
import { FIXTURE, waitForResult } from '../e2e/server.js';
import { infraUp } from './infra.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';

before(infraUp, { timeout: 45 * 60_000 });

/** What a collector would get from every process. */
let receiver: OtlpReceiver;
let endpoint: string;
let spans: ReceivedSpan[];
before(async () => {
  receiver = await startOtlpReceiver();
  ({ endpoint, spans } = receiver);
});
after(() => receiver.close());

test('cluster: one trace follows a job across the api, runner, inference and publisher processes', async () => {
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100' };
  const plan: Array<[Stage, Record<string, string>]> = [
    ['api', { FRAMEWISE_PORT: '0' }],
    ['relay', { RELAY_PORT: '0' }],
    ['publisher', { PUBLISHER_PORT: '0' }],
    ['runner', { RUNNER_PORT: '0' }],
    ['inference', { INFERENCE_PORT: '0' }],
  ];
  const procs: StageProcess[] = [];
  const traceId = '5b8efff798038103d269b633813fc60c';
  let id: string;
  try {
    for (const [stage, env] of plan) procs.push(await startStage(stage, stage, { ...env, ...otel }));
    const url = procs[0]!.url!;
    const form = new FormData();
    form.append('file', new Blob([await readFile(FIXTURE)]), 'vtest-10s.mp4');
    const r = await fetch(`${url}/api/upload_video`, { method: 'POST', body: form, headers: { traceparent: `00-${traceId}-eee19b7ec3c1b174-01` } });
    assert.equal(r.status, 200);
    id = ((await r.json()) as { event_id: string }).event_id;
    assert.equal((await waitForResult(url, id, (x) => x.status === 'ready' || x.status === 'failed', 300_000)).status, 'ready');
  } finally {
    // SIGTERM flushes each process's spans not yet exported.
    await stopAll(procs);
  }
  const trace = spans.filter((s) => s.traceId === traceId);
  const services = (name: string) => new Set(trace.filter((s) => s.name === name).map((s) => s.service));
  const http = trace.find((s) => s.kind === 2 && s.service === 'framewise-api' && s.parentSpanId === 'eee19b7ec3c1b174');
  assert.ok(http, `the API's HTTP server span: ${JSON.stringify(trace.map((s) => [s.service, s.name]))}`);
  const extract = trace.find((s) => s.name === 'extract');
  assert.ok(extract, 'extract');
  assert.equal(extract.parentSpanId, http.spanId, 'the runner continues the upload request’s span');
  assert.deepEqual([...services('extract')], ['framewise-runner']);
  assert.deepEqual([...services('detect')], ['framewise-inference']);
  assert.deepEqual([...services('collect')], ['framewise-runner']);
  assert.deepEqual([...services('publish')], ['framewise-publisher']);
  const detects = trace.filter((s) => s.name === 'detect');
  assert.ok(detects.length >= 20 && detects.every((d) => d.parentSpanId === extract.spanId), 'detect spans are children of extract');
});
