import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { checkReadiness } from '../../src/observability/readiness.js';
import { buildHealthApp } from '../../src/observability/worker-http.js';
import { Metrics } from '../../src/observability/metrics.js';
import { tracingWanted } from '../../src/observability/tracing.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const never = () => new Promise<never>(() => {});

test('readiness: ready when every check answers; a failing or hung check makes it not ready and names itself only', async () => {
  assert.deepEqual(await checkReadiness({ a: async () => 1, b: async () => undefined }), { status: 'ready', checks: { a: 'ok', b: 'ok' } });
  assert.deepEqual(await checkReadiness({}), { status: 'ready', checks: {} }, 'nothing to depend on: ready');

  const t0 = performance.now();
  const r = await checkReadiness(
    {
      sqlite: async () => 'fine',
      kafka: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:9');
      },
      s3: never,
      sync: () => {
        throw new TypeError('thrown before any promise');
      },
    },
    300,
  );
  const ms = performance.now() - t0;
  assert.equal(r.status, 'not_ready');
  assert.deepEqual(r.checks, { sqlite: 'ok', kafka: 'connect ECONNREFUSED 127.0.0.1:9', s3: 'no answer within 300 ms', sync: 'thrown before any promise' });
  assert.ok(ms >= 290 && ms < 1_500, `a hung check is cut at its deadline, not waited for (${ms.toFixed(0)} ms)`);
});

test('worker health app: /health is liveness (200 even while a dependency is down); /ready is 200 or 503 naming the check', async () => {
  const log = pino({ level: 'silent' });
  let kafkaUp = true;
  const app = buildHealthApp('relay', log, new Metrics('relay'), {
    readyChecks: {
      main_db: async () => {},
      kafka: async () => {
        if (!kafkaUp) throw new Error('Connection to 127.0.0.1:9092 failed');
      },
    },
  });
  try {
    const ready = await app.inject({ url: '/ready' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready', checks: { main_db: 'ok', kafka: 'ok' }, stage: 'relay' });

    kafkaUp = false;
    const notReady = await app.inject({ url: '/ready' });
    assert.equal(notReady.statusCode, 503);
    assert.deepEqual(notReady.json(), { status: 'not_ready', checks: { main_db: 'ok', kafka: 'Connection to 127.0.0.1:9092 failed' }, stage: 'relay' });
    const health = await app.inject({ url: '/health' });
    assert.equal(health.statusCode, 200, 'alive while not ready: an orchestrator must not restart it for an outage');
    assert.deepEqual(health.json(), { status: 'ok', stage: 'relay' });
  } finally {
    await app.close();
  }
});

test('tracing is started only when the OTEL_* variables ask for trace export', () => {
  assert.equal(tracingWanted({}), false, 'nothing set: off');
  assert.equal(tracingWanted({ OTEL_SERVICE_NAME: 'x' }), false, 'a service name alone exports nothing');
  assert.equal(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), true);
  assert.equal(tracingWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }), true);
  assert.equal(tracingWanted({ OTEL_TRACES_EXPORTER: 'otlp' }), true);
  assert.equal(tracingWanted({ OTEL_TRACES_EXPORTER: 'console' }), true);
  assert.equal(tracingWanted({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), false);
  assert.equal(tracingWanted({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), false);
});

test('without OTEL_* configuration not one OpenTelemetry module is loaded; with it, the SDK starts', async () => {
  // A fresh process: what `startTracing` loads is visible in its CommonJS module cache.
  const script = `
    import { createRequire } from 'node:module';
    const { startTracing, stopTracing } = await import('./src/observability/tracing.ts');
    const started = startTracing('framewise-test');
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('@opentelemetry') || k.includes('@fastify/otel')).length;
    await stopTracing();
    console.log(JSON.stringify({ started, loaded }));`;
  const probe = async (env: Record<string, string>) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...clean, ...env },
      timeout: 60_000,
    });
    return JSON.parse(stdout.trim().split('\n').pop()!) as { started: boolean; loaded: number };
  };
  assert.deepEqual(await probe({}), { started: false, loaded: 0 });
  const on = await probe({ OTEL_TRACES_EXPORTER: 'console' });
  assert.equal(on.started, true);
  assert.ok(on.loaded > 10, `the SDK and instrumentations are loaded (${on.loaded} modules)`);
});
