import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addressRange, nonPublicRange } from '../../src/core/public-address.js';
import { postWebhook, WebhookDeliveryError } from '../../src/stages/notifier/post-webhook.js';
import type { Notification } from '../../src/core/notification.js';

describe('webhook targets: public addresses only, unless allowed', () => {
  test('address ranges: special ranges are named, public addresses and names are not', () => {
    const cases: Array<[string, string | undefined]> = [
      ['127.0.0.1', 'loopback'],
      ['[::1]', 'loopback'],
      ['10.1.2.3', 'private'],
      ['192.168.0.10', 'private'],
      ['169.254.169.254', 'linkLocal'], // the cloud metadata service
      ['::ffff:10.0.0.1', 'private'], // IPv4-mapped IPv6
      ['fd00::1', 'uniqueLocal'],
      ['0.0.0.0', 'unspecified'],
      ['100.64.0.1', 'carrierGradeNat'],
      ['8.8.8.8', undefined],
      ['[2001:4860::8888]', undefined],
      ['hooks.example.com', undefined],
    ];
    for (const [host, range] of cases) assert.equal(addressRange(host), range, host);
    assert.equal(nonPublicRange('localhost'), 'loopback');
    assert.equal(nonPublicRange('api.localhost'), 'loopback');
    assert.equal(addressRange('localhost'), undefined, 'a name is checked when resolved');
    assert.equal(nonPublicRange('localhost.example.com'), undefined);
  });

  let server: Server;
  let port = 0;
  let calls = 0;
  before(async () => {
    server = createServer((req, res) => {
      calls++;
      req.resume();
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const notification = (url: string): Notification => ({
    event_id: '9b2f6c1e-4d3a-4c8e-9f1a-2b3c4d5e6f70',
    status: 'ready',
    webhook_url: url,
    occurred_at: new Date(),
    created_at: new Date(),
    attempts: 0,
    next_attempt_at: new Date(),
  });

  test('a receiver on a loopback address literal is refused before any connection', async () => {
    const before = calls;
    await assert.rejects(postWebhook(notification(`http://127.0.0.1:${port}/h`), { secret: undefined, timeoutMs: 2000 }), (err: unknown) => {
      assert.ok(err instanceof WebhookDeliveryError);
      assert.match(err.message, /127\.0\.0\.1 is a loopback address, not a public one \(FRAMEWISE_WEBHOOK_ALLOW_PRIVATE=true allows it\)/);
      return true;
    });
    assert.equal(calls, before, 'nothing reached the receiver');
  });

  test('a name resolving to a loopback address is refused when connecting (the address checked is the one called)', async () => {
    const before = calls;
    await assert.rejects(postWebhook(notification(`http://localhost:${port}/h`), { secret: undefined, timeoutMs: 2000 }), (err: unknown) => {
      assert.ok(err instanceof WebhookDeliveryError);
      assert.match(err.message, /localhost resolves to (127\.0\.0\.1|::1), a loopback address, not a public one/);
      return true;
    });
    assert.equal(calls, before, 'nothing reached the receiver');
  });

  test('allowed (FRAMEWISE_WEBHOOK_ALLOW_PRIVATE), the same receivers are called', async () => {
    const before = calls;
    assert.equal(await postWebhook(notification(`http://127.0.0.1:${port}/h`), { secret: undefined, timeoutMs: 2000, allowPrivate: true }), 'delivered');
    assert.equal(await postWebhook(notification(`http://localhost:${port}/h`), { secret: undefined, timeoutMs: 2000, allowPrivate: true }), 'delivered');
    assert.equal(calls, before + 2);
  });
});
