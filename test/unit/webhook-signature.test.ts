import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { sign, verify } from '../../src/core/webhook-signature.js';
import { deliveryId, webhookBody } from '../../src/core/notification.js';

const SECRET = 'a-webhook-secret-for-tests';

test('sign is HMAC-SHA256 over "timestamp.body", hex, prefixed sha256=', () => {
  const body = '{"event_id":"x"}';
  const expected = createHmac('sha256', SECRET).update(`1700000000.${body}`).digest('hex');
  assert.equal(sign(SECRET, 1700000000, body), `sha256=${expected}`);
  assert.equal(sign(SECRET, '1700000000', body), sign(SECRET, 1700000000, body), 'the header string signs the same');
});

test('verify accepts the signed call and refuses a changed body, timestamp, secret, stale or missing header', () => {
  const now = Date.UTC(2026, 0, 1, 12);
  const ts = String(Math.floor(now / 1000));
  const body = JSON.stringify({ event_id: randomUUID(), status: 'ready' });
  const signature = sign(SECRET, ts, body);
  assert.equal(verify(SECRET, { signature, timestamp: ts, body }, { now }), true);
  assert.equal(verify(SECRET, { signature, timestamp: ts, body: body.replace('ready', 'failed') }, { now }), false, 'body changed');
  assert.equal(verify(SECRET, { signature, timestamp: String(Number(ts) + 1), body }, { now }), false, 'timestamp changed');
  assert.equal(verify('another-secret-of-16+', { signature, timestamp: ts, body }, { now }), false, 'other secret');
  assert.equal(verify(SECRET, { signature, timestamp: ts, body }, { now: now + 301_000 }), false, 'a replay 5 min later');
  assert.equal(verify(SECRET, { signature, timestamp: ts, body }, { now: now + 301_000, toleranceSeconds: 600 }), true, 'within a wider tolerance');
  assert.equal(verify(SECRET, { signature: undefined, timestamp: ts, body }, { now }), false);
  assert.equal(verify(SECRET, { signature, timestamp: undefined, body }, { now }), false);
  assert.equal(verify(SECRET, { signature, timestamp: 'soon', body }, { now }), false);
  assert.equal(verify(SECRET, { signature: 'sha256=00', timestamp: ts, body }, { now }), false, 'wrong length, no exception');
});

test('the delivery id is a UUID v5 stable per notification, distinct per event, status and ending', () => {
  const ref = { event_id: randomUUID(), status: 'ready' as const, occurred_at: new Date(5000) };
  const id = deliveryId(ref);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(deliveryId({ ...ref, occurred_at: new Date(5000) }), id, 'stable');
  const others = [
    deliveryId({ ...ref, event_id: randomUUID() }),
    deliveryId({ ...ref, status: 'failed' }),
    deliveryId({ ...ref, occurred_at: new Date(5001) }),
  ];
  assert.equal(new Set([id, ...others]).size, 4);
});

test('the body: ready has the result path and time; failed has the reason', () => {
  const n = {
    event_id: randomUUID(),
    webhook_url: 'http://x/',
    occurred_at: new Date(12_345),
    created_at: new Date(2_000),
    attempts: 0,
    next_attempt_at: new Date(0),
  };
  assert.deepEqual(webhookBody({ ...n, status: 'ready' }), {
    delivery_id: deliveryId({ ...n, status: 'ready' }),
    event_id: n.event_id,
    status: 'ready',
    occurred_at: '1970-01-01T00:00:12.345Z',
    result_url: `/api/result_video/${n.event_id}`,
    processing_time_seconds: 10.35,
  });
  const failed = webhookBody({ ...n, status: 'failed', reason: 'the video is damaged' });
  assert.equal(failed.reason, 'the video is damaged');
  assert.equal(failed.result_url, undefined);
});
