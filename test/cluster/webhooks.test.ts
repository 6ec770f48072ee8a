import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { MongoClient } from 'mongodb';
import { startCluster, stopAll, type StageProcess } from '../../scripts/cluster-local.js';
import { MongoOutboxCollections } from '../../src/adapters/mongo/outbox-collections.js';
import { mongoOutboxDatabase } from '../../src/adapters/mongo/outbox-database.js';
import { videoSubmitted } from '../../src/core/job.js';
import { verify } from '../../src/core/webhook-signature.js';
import { FIXTURE } from '../e2e/server.js';
import { waitFor } from '../contracts/wait-for.js';
import { ENDPOINTS, infraUp } from './infra.js';

before(infraUp, { timeout: 45 * 60_000 });

/**
 * Webhooks in cluster mode: the publisher process notifies from runner_db, and from main_db's dead
 * jobs-outbox events (jobs that failed before a runner had them), over FerretDB.
 */
describe('cluster mode: webhooks from the publisher process', () => {
  const SECRET = 'cluster-webhook-secret-0123';
  const calls: Array<{ path: string; headers: IncomingHttpHeaders; body: string }> = [];
  let receiver: HttpServer;
  let hook: string;
  let procs: StageProcess[] = [];
  let mongo: MongoClient;

  before(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        calls.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    process.env.FRAMEWISE_WEBHOOK_SECRET = SECRET; // the stage processes inherit it
    process.env.FRAMEWISE_WEBHOOK_ALLOW_PRIVATE = 'true'; // the receiver is on 127.0.0.1
    procs = await startCluster({ runners: 1, inference: 1 });
    mongo = await new MongoClient(ENDPOINTS.mongo, { serverSelectionTimeoutMS: 10_000 }).connect();
  });
  after(async () => {
    delete process.env.FRAMEWISE_WEBHOOK_SECRET;
    delete process.env.FRAMEWISE_WEBHOOK_ALLOW_PRIVATE;
    await stopAll(procs);
    await mongo?.close();
    receiver?.closeAllConnections();
    await new Promise((r) => receiver?.close(r));
  });

  const signedBy = (c: (typeof calls)[number]) =>
    verify(SECRET, { signature: c.headers['x-framewise-signature'] as string, timestamp: c.headers['x-framewise-timestamp'] as string, body: c.body });
  const callsFor = (id: string) => calls.filter((c) => JSON.parse(c.body).event_id === id);

  test('an uploaded job announces job.ready, signed, once', async () => {
    const api = procs.find((p) => p.stage === 'api')!.url!;
    const form = new FormData();
    form.append('webhook_url', hook);
    form.append('file', new Blob([await readFile(FIXTURE)]), 'vtest-10s.mp4');
    const up = await fetch(`${api}/api/upload_video`, { method: 'POST', body: form });
    assert.equal(up.status, 200);
    const id = ((await up.json()) as { event_id: string }).event_id;
    await waitFor(() => callsFor(id).length > 0, 'the ready call', 300_000);
    const [call] = callsFor(id);
    assert.equal(call!.headers['x-framewise-event'], 'job.ready');
    assert.equal(signedBy(call!), true);
    assert.equal(JSON.parse(call!.body).status, 'ready');
    assert.equal(((await (await fetch(`${api}/api/result_video/${id}`)).json()) as { status: string }).status, 'ready');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(callsFor(id).length, 1);
  });

  test('a job whose event died in main_db.outbox announces job.failed with the reason', async () => {
    const outbox = mongoOutboxDatabase(new MongoOutboxCollections(mongo.db('main_db')));
    const id = randomUUID();
    const video = { bucket: 'videos', object: `input/${id}.mp4`, media_type: 'video/mp4', options: { webhook_url: hook } };
    // A topic name Kafka refuses: the relay cannot publish it, so it stays new until buried here
    // (or, should the relay exhaust its attempts first, it is dead already).
    await outbox.jobsOutbox.insert(videoSubmitted(id, video, 'not a valid topic!', undefined));
    await outbox.jobsOutbox.markDead(id, 'INVALID_TOPIC_EXCEPTION', new Date());
    assert.equal((await outbox.outboxEvents.get(id))?.status, 'dead');
    await waitFor(() => callsFor(id).length > 0, 'the failed call', 60_000);
    const [call] = callsFor(id);
    assert.equal(call!.headers['x-framewise-event'], 'job.failed');
    assert.equal(signedBy(call!), true);
    const body = JSON.parse(call!.body);
    assert.equal(body.status, 'failed');
    assert.match(body.reason, /^the job could not be dispatched after \d+ attempts: /);
    const api = procs.find((p) => p.stage === 'api')!.url!;
    const seen = (await (await fetch(`${api}/api/result_video/${id}`)).json()) as { status: string; reason: string };
    assert.deepEqual([seen.status, seen.reason], ['failed', body.reason], 'the API says the same');
    await outbox.jobsDeadLetters.discard(id);
  });
});
