import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE, getResult, startServer, type Server } from './server.js';
import { verify } from '../../src/core/webhook-signature.js';
import { waitFor } from '../contracts/wait-for.js';

/**
 * Webhooks through `framewise serve`, as a client uses them: upload the fixture with a
 * `webhook_url` form field, and receive the signed `job.ready` call on a real HTTP receiver.
 */
describe('embedded mode: webhooks end to end', () => {
  const SECRET = 'e2e-webhook-secret-0123456789';
  const calls: Array<{ path: string; headers: IncomingHttpHeaders; body: string; at: number }> = [];
  let receiver: HttpServer;
  let hookUrl: string;
  let dir: string;
  let server: Server;

  before(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        calls.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
        // The first call is refused: the notification is retried, with the same delivery id.
        res.writeHead(calls.length === 1 ? 503 : 204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/framewise?client=e2e`;
    dir = await mkdtemp(join(tmpdir(), 'fw-e2e-webhooks-'));
    server = await startServer(join(dir, 'data'), {
      FRAMEWISE_WEBHOOK_ALLOW_PRIVATE: 'true',
      FRAMEWISE_WEBHOOK_SECRET: SECRET,
      FRAMEWISE_RETRY_BASE_MS: '200',
      FRAMEWISE_RETRY_CAP_MS: '400',
    });
  });
  after(async () => {
    await server?.stop();
    receiver?.closeAllConnections();
    await new Promise((r) => receiver?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  test('an upload with webhook_url gets one signed job.ready call, retried once with the same delivery id', async () => {
    const form = new FormData();
    form.append('webhook_url', hookUrl); // option fields go before the file
    form.append('file', new Blob([await readFile(FIXTURE)]), 'vtest-10s.mp4');
    const up = await fetch(`${server.url}/api/upload_video`, { method: 'POST', body: form });
    const accepted = (await up.json()) as { status: string; event_id: string };
    assert.equal(up.status, 200, JSON.stringify(accepted));
    const id = accepted.event_id;

    await waitFor(() => calls.length >= 2, 'the webhook to be delivered', 180_000);
    const [refused, delivered] = calls;
    assert.equal(delivered!.path, '/hooks/framewise?client=e2e');
    assert.equal(delivered!.headers['x-framewise-event'], 'job.ready');
    assert.equal(delivered!.headers['content-type'], 'application/json');
    assert.equal(
      verify(SECRET, {
        signature: delivered!.headers['x-framewise-signature'] as string,
        timestamp: delivered!.headers['x-framewise-timestamp'] as string,
        body: delivered!.body,
      }),
      true,
      'signed with the configured secret',
    );
    assert.equal(refused!.headers['x-framewise-delivery'], delivered!.headers['x-framewise-delivery'], 'a retry keeps the delivery id');
    assert.equal(refused!.body, delivered!.body);
    const body = JSON.parse(delivered!.body);
    assert.equal(body.delivery_id, delivered!.headers['x-framewise-delivery']);
    assert.equal(body.event_id, id);
    assert.equal(body.status, 'ready');
    assert.equal(body.result_url, `/api/result_video/${id}`);

    // The call came once the job was ready, and says what the API says.
    const result = await getResult(server.url, id);
    assert.equal(result.status, 'ready');
    assert.equal(result.prediction.length, 20);
    const viaPath = (await (await fetch(`${server.url}${body.result_url}`)).json()) as { status: string };
    assert.equal(viaPath.status, 'ready');
    assert.ok(
      Math.abs(body.processing_time_seconds - result.processing_time_seconds) < 0.05,
      `${body.processing_time_seconds} vs ${result.processing_time_seconds}`,
    );

    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(calls.length, 2, 'delivered: nothing more is sent');
  });
});
