import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { Metrics } from '../../src/observability/metrics.js';
import { buildHealthApp } from '../../src/observability/worker-http.js';
import { loadConfig } from '../../src/core/config.js';
import { startApiFixture, type ApiFixture } from '../support/api-fixture.js';

const KEY = 'metrics-key-0123456789';

/** `/metrics` behind FRAMEWISE_METRICS_KEY: the API's and a worker's, the same rule. */
describe('GET /metrics with FRAMEWISE_METRICS_KEY', () => {
  let fx: ApiFixture;
  let open: ApiFixture;
  const metrics = new Metrics('test');
  const worker = buildHealthApp('runner', pino({ level: 'silent' }), metrics, { metricsKey: KEY });

  before(async () => {
    fx = await startApiFixture('metrics-key', { metrics, metricsKey: KEY });
    open = await startApiFixture('metrics-open', { metrics: new Metrics('test') });
  });
  after(async () => {
    await fx?.close();
    await open?.close();
    await worker.close();
  });

  for (const [name, inject] of [
    ['the API', (o: { headers?: Record<string, string> }) => fx.api.inject({ url: '/metrics', ...o })],
    ['a worker', (o: { headers?: Record<string, string> }) => worker.inject({ url: '/metrics', ...o })],
  ] as const) {
    test(`${name}: no key is 401 ERR_AUTH_REQUIRED, a wrong one 401 ERR_AUTH_KEY_INVALID, the key gets the metrics`, async () => {
      const none = await inject({});
      assert.equal(none.statusCode, 401);
      assert.equal(none.json().error.code, 'ERR_AUTH_REQUIRED');
      assert.match(String(none.headers['www-authenticate']), /^Bearer/);
      assert.doesNotMatch(none.body, /process_cpu|framewise_/, 'nothing of the metrics in the refusal');
      const wrong = await inject({ headers: { authorization: 'Bearer not-the-key-at-all' } });
      assert.equal(wrong.statusCode, 401);
      assert.equal(wrong.json().error.code, 'ERR_AUTH_KEY_INVALID');
      const right = await inject({ headers: { authorization: `Bearer ${KEY}` } });
      assert.equal(right.statusCode, 200);
      assert.match(right.body, /# TYPE framewise_process_cpu_user_seconds_total counter/);
      // The probes stay open: orchestrators call them without credentials.
      const health = name === 'the API' ? await fx.api.inject({ url: '/api/health' }) : await worker.inject({ url: '/health' });
      assert.equal(health.statusCode, 200);
    });
  }

  test('without the key set, /metrics answers anyone (as before)', async () => {
    const r = await open.api.inject({ url: '/metrics' });
    assert.equal(r.statusCode, 200);
  });

  test('the key is checked like every secret setting: at least 16 characters', () => {
    assert.throws(() => loadConfig({ FRAMEWISE_METRICS_KEY: 'short' }), /FRAMEWISE_METRICS_KEY/);
    assert.equal(loadConfig({ FRAMEWISE_METRICS_KEY: KEY }).metricsKey, KEY);
  });
});
