import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { OutboxDatabase } from '../../src/ports/outbox-database.js';
import type { Api } from '../../src/stages/api/app.js';
import { COCO_CLASSES } from '../../src/adapters/detector/coco-classes.js';
import { multipart } from '../support/multipart.js';
import { buildApi } from '../../src/stages/api/app.js';
import { startApiFixture, type ApiFixture } from '../support/api-fixture.js';
import { modelDefaults } from '../../src/core/model-defaults.js';

const VIDEO = readFile(new URL('../fixtures/vtest-10s.mp4', import.meta.url));
const MODELS = {
  names: ['centernet-coco', 'custom'],
  defaultModel: 'centernet-coco',
  defaults: (m: string) => modelDefaults({ models: [] }, m),
  classes: { 'centernet-coco': COCO_CLASSES },
};

describe('per-job options at upload (form fields, query, JSON)', () => {
  let fx: ApiFixture;
  let api: Api;
  let outboxDb: OutboxDatabase;

  before(async () => {
    fx = await startApiFixture('options', { models: MODELS });
    ({ api, outboxDb } = fx);
  });
  after(() => fx.close());

  const uploadWith = async (fields: Record<string, string>, query = '') =>
    api.inject({ method: 'POST', url: `/api/upload_video${query}`, ...multipart('file', 'clip.mp4', await VIDEO, 'video/mp4', fields) });
  const optionsOf = async (eventId: string) => (await outboxDb.outboxEvents.get(eventId))?.payload.options;

  test('form fields become the job’s typed options, recorded in its outbox event', async () => {
    const r = await uploadWith({
      sample_fps: '2.5',
      confidence: '0.4',
      iou: '0.6',
      classes: ' person, car ,person',
      annotate: 'true',
      webhook_url: 'https://hooks.example.com/fw?x=1',
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(await optionsOf(r.json().event_id), {
      sample_fps: 2.5,
      confidence: 0.4,
      iou: 0.6,
      classes: ['person', 'car'],
      annotate: true,
      webhook_url: 'https://hooks.example.com/fw?x=1',
    });
  });

  test('query parameters work too; a form field wins over the query parameter of the same name', async () => {
    const r = await uploadWith({ confidence: '0.7' }, '?confidence=0.3&sample_every=3');
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(await optionsOf(r.json().event_id), { confidence: 0.7, sample_every: 3 });
  });

  test('no options: the payload carries none (the server’s defaults apply)', async () => {
    const r = await uploadWith({});
    assert.equal(await optionsOf(r.json().event_id), undefined);
  });

  const refused: Array<[string, Record<string, string>, RegExp]> = [
    ['a confidence above 1', { confidence: '1.5' }, /confidence=1\.5/],
    ['a confidence that is not a number', { confidence: 'high' }, /confidence="high"/],
    ['an IoU below 0', { iou: '-0.1' }, /iou/],
    ['a sampling step of 0', { sample_every: '0' }, /sample_every/],
    ['a fractional sampling step', { sample_every: '2.5' }, /sample_every/],
    ['a rate of 0', { sample_fps: '0' }, /sample_fps/],
    ['both sampling rules', { sample_every: '2', sample_fps: '3' }, /one sampling rule/],
    ['a class the model does not have', { classes: 'person,unicorn' }, /"unicorn" not among the classes of model centernet-coco/],
    ['an empty class list', { classes: ' , ' }, /at least one class/],
    ['annotate that is not a boolean', { annotate: 'maybe' }, /annotate/],
    ['a webhook that is not a URL', { webhook_url: 'not a url' }, /not an absolute URL/],
    ['a webhook on another scheme', { webhook_url: 'file:///etc/passwd' }, /only http and https/],
    ['a webhook with credentials', { webhook_url: 'https://u:p@example.com/' }, /credentials/],
    [
      'a webhook to the cloud metadata service',
      { webhook_url: 'http://169.254.169.254/latest/meta-data' },
      /169\.254\.169\.254 is a linkLocal address, not a public one/,
    ],
    ['a webhook to this machine', { webhook_url: 'http://localhost:9000/hook' }, /localhost is a loopback address/],
    ['a webhook to a private network', { webhook_url: 'http://[::ffff:10.0.0.7]:8080/' }, /is a private address/],
  ];
  for (const [what, fields, message] of refused) {
    test(`400 ERR_OPTION_INVALID for ${what}, and no job`, async () => {
      const before = (await outboxDb.outboxEvents.list()).length;
      const r = await uploadWith(fields);
      assert.equal(r.statusCode, 400, r.body);
      assert.equal(r.json().error.code, 'ERR_OPTION_INVALID');
      assert.match(r.json().error.message, message);
      assert.equal((await outboxDb.outboxEvents.list()).length, before, 'no job was created');
    });
  }

  test('webhooks to non-public addresses are accepted where the operator allows them (FRAMEWISE_WEBHOOK_ALLOW_PRIVATE)', async () => {
    const allowing = await buildApi({ ...fx.deps, webhookAllowPrivate: true });
    try {
      const r = await allowing.inject({
        method: 'POST',
        url: '/api/upload_video',
        ...multipart('file', 'clip.mp4', await VIDEO, 'video/mp4', { webhook_url: 'http://localhost:9000/hook' }),
      });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal((await optionsOf(r.json().event_id))?.webhook_url, 'http://localhost:9000/hook');
    } finally {
      await allowing.close();
    }
  });

  test('a bad query option is refused with the same code as a bad form field', async () => {
    const r = await uploadWith({}, '?iou=2');
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error.code, 'ERR_OPTION_INVALID');
    assert.match(r.json().error.message, /iou=2/);
    const unknownParameter = await uploadWith({}, '?model=');
    assert.equal(unknownParameter.json().error.code, 'ERR_REQUEST_INVALID');
  });

  test('classes of a model whose classes the server does not know are taken as given', async () => {
    const r = await uploadWith({ model: 'custom', classes: 'widget' });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(await optionsOf(r.json().event_id), { classes: ['widget'] });
  });

  test('/api/request takes the same options as JSON, classes as a list', async () => {
    const up = await uploadWith({});
    const object = (await outboxDb.outboxEvents.get(up.json().event_id))!.payload.object;
    const ok = await api.inject({ method: 'POST', url: '/api/request', payload: { object, classes: ['person'], confidence: 0.5, annotate: false } });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(await optionsOf(ok.json().event_id), { classes: ['person'], confidence: 0.5, annotate: false });
    const bad = await api.inject({ method: 'POST', url: '/api/request', payload: { object, sample_every: 2, sample_fps: 1 } });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'ERR_OPTION_INVALID');
  });

  test('GET /api/models lists the bundled model’s classes', async () => {
    const r = (await api.inject({ url: '/api/models' })).json();
    assert.deepEqual(r.models.find((m: { name: string }) => m.name === 'centernet-coco').classes, [...COCO_CLASSES]);
    assert.equal(r.models.find((m: { name: string }) => m.name === 'custom').classes, undefined);
  });
});
