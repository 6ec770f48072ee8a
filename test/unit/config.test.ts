import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, describeConfig, loadConfig } from '../../src/core/config.js';

test('defaults are the documented ones', () => {
  const c = loadConfig({});
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8080);
  assert.equal(c.sampleEvery, 5);
  assert.equal(c.blurKsize, 3);
  assert.equal(c.contrastAlpha, 1.3);
  assert.equal(c.contrastBeta, 5);
  // Unset: each model's own default (`core/model-defaults.ts`; test/unit/model-defaults.test.ts).
  assert.equal(c.confidence, undefined);
  assert.equal(c.iou, undefined);
  assert.equal(c.maxUploadBytes, 2 * 1024 ** 3);
  assert.equal(c.sampleFps, undefined);
});

test('environment variables are read and converted; CLI overrides win', () => {
  const c = loadConfig({ FRAMEWISE_PORT: '9000', FRAMEWISE_BLUR: 'off', FRAMEWISE_SAMPLE_FPS: '2', FRAMEWISE_DECODE_ERRORS: 'tolerate' }, { port: '9100' });
  assert.equal(c.port, 9100);
  assert.equal(c.blur, false);
  assert.equal(c.sampleFps, 2);
  assert.equal(c.decodeErrors, 'tolerate');
});

test('invalid values stop start-up, naming the variable', () => {
  assert.throws(
    () => loadConfig({ FRAMEWISE_PORT: 'eighty' }),
    (e: Error) => e instanceof ConfigError && /FRAMEWISE_PORT/.test(e.message),
  );
  assert.throws(() => loadConfig({ FRAMEWISE_CONFIDENCE: '1.5' }), /FRAMEWISE_CONFIDENCE/);
  assert.throws(() => loadConfig({ FRAMEWISE_BLUR_KSIZE: '4' }), /odd/);
  assert.throws(() => loadConfig({ FRAMEWISE_DECODE_ERRORS: 'ignore' }), /FRAMEWISE_DECODE_ERRORS/);
});

test('every setting is documented with an environment variable', () => {
  for (const s of describeConfig()) {
    assert.match(s.env, /^[A-Z][A-Z0-9_]+$/, s.key);
    assert.ok(s.description.length > 5, s.key);
  }
});

test('an empty variable means its default, except where empty is a value of its own (MINIO_ENDPOINT="" is AWS S3)', () => {
  assert.equal(loadConfig({ FRAMEWISE_PORT: '' }).port, loadConfig({}).port);
  assert.equal(loadConfig({}).minioEndpoint, 'minio:9000');
  assert.equal(loadConfig({ MINIO_ENDPOINT: '' }).minioEndpoint, '');
  assert.equal(loadConfig({ MINIO_ENDPOINT: 'storage.example:9000' }).minioEndpoint, 'storage.example:9000');
});
