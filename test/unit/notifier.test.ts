import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { sqliteOutboxDatabase } from '../../src/adapters/sqlite/outbox-database.js';
import { sqliteRunnerDatabase } from '../../src/adapters/sqlite/runner-database.js';
import { apiStores } from '../../src/modes/api-stores.js';
import { LocalDirObjectStore } from '../../src/adapters/object-store/local-dir.js';
import { buildApi, type Api } from '../../src/stages/api/app.js';
import { notifyRound, type NotifyDeps } from '../../src/stages/notifier/notify.js';
import { sweepUndispatched } from '../../src/stages/notifier/undispatched.js';
import { startNotifier } from '../../src/stages/notifier/index.js';
import { videoSubmitted, type VideoRef } from '../../src/core/job.js';
import { verify } from '../../src/core/webhook-signature.js';
import type { RunnerDatabase } from '../../src/ports/runner-database.js';
import type { OutboxDatabase } from '../../src/ports/outbox-database.js';
import type { NotificationsOutbox } from '../../src/ports/notifications-outbox.js';
import { waitFor } from '../contracts/wait-for.js';
import { modelDefaults } from '../../src/core/model-defaults.js';

/**
 * The webhook notifier on SQLite against a real HTTP receiver (node:http on loopback): what is
 * sent, how often, with which delivery id, and what becomes of notifications the receiver refuses.
 */

const SECRET = 'a-webhook-secret-for-tests';
const log = pino({ level: 'silent' });

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver: records every call and answers what `answer(n)` says for the n-th (0-based). */
async function receiver(answer: (n: number) => number | 'hang' | { redirect: string } = () => 200) {
  const calls: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = calls.length;
      calls.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const a = answer(n);
      if (a === 'hang') return; // never answers
      if (typeof a === 'object') res.writeHead(302, { location: a.redirect }).end();
      else res.writeHead(a, { 'content-type': 'text/plain' }).end(`answer ${a}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describe('webhook notifier (SQLite, real HTTP)', () => {
  let dir: string;
  let db: SqliteDatabase;
  let runnerDb: RunnerDatabase;
  let outboxDb: OutboxDatabase;
  let api: Api;
  const servers: Array<{ close(): Promise<void> }> = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-notifier-'));
    db = openDatabase(join(dir, 'db.sqlite'));
    runnerDb = sqliteRunnerDatabase(db);
    outboxDb = sqliteOutboxDatabase(db);
    const objects = new LocalDirObjectStore(join(dir, 'objects'), 'videos');
    api = await buildApi({
      ...apiStores(outboxDb, runnerDb),
      objects,
      log,
      maxUploadBytes: 1000,
      models: { names: ['centernet-coco'], defaultModel: 'centernet-coco', defaults: (m: string) => modelDefaults({ models: [] }, m) },
    });
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    await api.close();
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const hook = async (answer?: Parameters<typeof receiver>[0]) => {
    const r = await receiver(answer);
    servers.push(r);
    return r;
  };
  // The receivers listen on 127.0.0.1: a loopback receiver is allowed here (webhook-target.test.ts covers the refusal).
  const deps = (over: Partial<NotifyDeps> = {}): NotifyDeps => ({
    notificationsOutbox: runnerDb.notificationsOutbox,
    log,
    batchSize: 10,
    owner: 'notifier-1',
    leaseMs: 60_000,
    retry: { baseMs: 1, capMs: 1, maxAttempts: 3 },
    webhook: { secret: SECRET, timeoutMs: 2000, allowPrivate: true },
    ...over,
  });
  /** Rounds until one finds nothing due after the (1 ms) backoff has passed. */
  const drain = async (d = deps()) => {
    for (let idle = 0; idle < 3;) {
      idle = (await notifyRound(d)) === 0 ? idle + 1 : 0;
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const input = (id: string, webhookUrl?: string): VideoRef => ({
    bucket: 'videos',
    object: `input/${id}.mp4`,
    media_type: 'video/mp4',
    ...(webhookUrl ? { options: { webhook_url: webhookUrl } } : {}),
  });
  /** A job that the runner took to `ready` at `at`. */
  const readyJob = async (webhookUrl: string | undefined, at = new Date(), store: RunnerDatabase = runnerDb) => {
    const id = randomUUID();
    await store.jobRecords.start({
      _id: id,
      created_at: new Date(at.getTime() - 6500),
      expected_frames: 1,
      parameters: { sample_every: 5 },
      input: input(id, webhookUrl),
    });
    await store.frameCollection.setTotalFrames(id, 1);
    await store.frameCollection.addFrameResult(id, { frame: 0, objects: [] });
    await store.frameCollection.markPredictable(id);
    assert.equal(await store.resultsOutbox.markReady(id, at, { bucket: 'videos', object: `detection/${id}.json` }), true);
    return id;
  };
  /** What the sweep of undispatched jobs reads and writes. */
  const undispatchedDeps = () => ({
    jobsDeadLetters: outboxDb.jobsDeadLetters,
    outboxEvents: outboxDb.outboxEvents,
    undispatchedJobs: runnerDb.undispatchedJobs,
  });
  const json = (c: Received) => JSON.parse(c.body) as Record<string, unknown>;
  const deliveryIds = (calls: Received[]) => calls.map((c) => c.headers['x-framewise-delivery']);

  test('a ready job: exactly one signed POST with the documented headers and body', async () => {
    const r = await hook();
    const at = new Date(Date.now() - 1000);
    const id = await readyJob(`${r.url}/hooks/framewise?token=t1`, at);
    await drain();
    assert.equal(r.calls.length, 1);
    const [call] = r.calls;
    assert.equal(call!.path, '/hooks/framewise?token=t1');
    assert.equal(call!.headers['content-type'], 'application/json');
    assert.equal(call!.headers['x-framewise-event'], 'job.ready');
    const ts = Number(call!.headers['x-framewise-timestamp']);
    assert.ok(Math.abs(ts - Date.now() / 1000) < 10, `timestamp ${ts} is now`);
    const signed = {
      signature: call!.headers['x-framewise-signature'] as string,
      timestamp: call!.headers['x-framewise-timestamp'] as string,
      body: call!.body,
    };
    assert.match(signed.signature, /^sha256=[0-9a-f]{64}$/);
    assert.equal(verify(SECRET, signed), true, 'the signature verifies');
    assert.equal(verify('not-the-secret-at-all', signed), false);
    const body = json(call!);
    assert.match(String(body.delivery_id), /^[0-9a-f-]{36}$/);
    assert.deepEqual(body, {
      delivery_id: call!.headers['x-framewise-delivery'],
      event_id: id,
      status: 'ready',
      occurred_at: at.toISOString(),
      result_url: `/api/result_video/${id}`,
      processing_time_seconds: 6.5,
    });
    await drain();
    assert.equal(r.calls.length, 1, 'delivered once, never again');
  });

  test('a job without a webhook sends nothing', async () => {
    const r = await hook();
    await readyJob(undefined);
    const failed = randomUUID();
    await runnerDb.frameCollection.markFailed(failed, 'the video is damaged', new Date(), { created_at: new Date(), input: input(failed) });
    await drain();
    assert.equal(r.calls.length, 0);
  });

  test('500, 500, then 200: three attempts with one delivery id, then delivered, nothing more', async () => {
    const r = await hook((n) => (n < 2 ? 500 : 200));
    await readyJob(`${r.url}/h`);
    await drain();
    assert.equal(r.calls.length, 3);
    const ids = deliveryIds(r.calls);
    assert.equal(new Set(ids).size, 1, `one delivery id: ${ids.join(', ')}`);
    assert.deepEqual(
      r.calls.map((c) => json(c).delivery_id),
      ids,
      'the body names it too',
    );
    assert.equal(new Set(r.calls.map((c) => c.body)).size, 1, 'the same body each time');
    assert.deepEqual(await runnerDb.notificationsOutbox.claimNotifications({ owner: 'x', limit: 10, leaseMs: 1000, now: new Date(Date.now() + 1e9) }), []);
    assert.deepEqual(await runnerDb.notificationsDeadLetters.listDeadNotifications(10), []);
  });

  test('always 500: a dead letter after the last attempt, listed by the admin API; replayed, it is delivered with the same delivery id', async () => {
    let healthy = false;
    const r = await hook(() => (healthy ? 200 : 500));
    const id = await readyJob(`${r.url}/h`);
    await drain();
    assert.equal(r.calls.length, 3, 'maxAttempts');
    const list = (await api.inject({ url: '/api/admin/dead_letters?outbox=webhooks' })).json();
    assert.equal(list.total, 1);
    const [dead] = list.dead_letters;
    assert.equal(dead.outbox, 'webhooks');
    assert.equal(dead.event_id, id);
    assert.equal(dead.event_type, 'job.ready');
    assert.equal(dead.attempts, 3);
    assert.equal(dead.last_error, 'the receiver answered HTTP 500');
    assert.equal(dead.webhook_url, `${r.url}/h`);
    assert.equal(dead.delivery_id, r.calls[0]!.headers['x-framewise-delivery']);
    assert.equal((await api.inject({ url: '/api/admin/dead_letters' })).json().total, 1, 'in the list of every outbox');
    healthy = true;
    assert.equal((await api.inject({ method: 'POST', url: `/api/admin/dead_letters/webhooks/${id}/replay` })).statusCode, 200);
    assert.equal((await api.inject({ method: 'POST', url: `/api/admin/dead_letters/webhooks/${id}/replay` })).statusCode, 404, 'no longer dead');
    await drain();
    assert.equal(r.calls.length, 4);
    assert.equal(new Set(deliveryIds(r.calls)).size, 1, 'the replay has the same delivery id');
    assert.equal((await api.inject({ url: '/api/admin/dead_letters?outbox=webhooks' })).json().total, 0);
  });

  test('a discarded dead notification is not sent', async () => {
    const r = await hook(() => 503);
    const id = await readyJob(`${r.url}/h`);
    await drain();
    assert.equal((await api.inject({ method: 'DELETE', url: `/api/admin/dead_letters/webhooks/${id}` })).statusCode, 200);
    assert.equal((await api.inject({ method: 'POST', url: `/api/admin/dead_letters/webhooks/${id}/replay` })).json().error.code, 'ERR_DEAD_LETTER_NOT_FOUND');
    await drain();
    assert.equal(r.calls.length, 3);
  });

  test('the mark after a successful POST fails once: sent again with the same delivery id (at-least-once), then delivered', async () => {
    const r = await hook();
    await readyJob(`${r.url}/h`);
    let failures = 1;
    const flaky: NotificationsOutbox = Object.create(runnerDb.notificationsOutbox, {
      markNotified: {
        value: async (...args: Parameters<NotificationsOutbox['markNotified']>) => {
          if (failures-- > 0) throw new Error('disk I/O error');
          return runnerDb.notificationsOutbox.markNotified(...args);
        },
      },
    });
    await drain(deps({ notificationsOutbox: flaky }));
    assert.equal(r.calls.length, 2);
    assert.equal(new Set(deliveryIds(r.calls)).size, 1);
  });

  test('a notifier that dies between the POST and the mark: another sends it again after the lease, same delivery id', async () => {
    const r = await hook();
    await readyJob(`${r.url}/h`);
    // The first notifier posts, then "dies": its mark never happens (an outage error ends its round).
    const dying: NotificationsOutbox = Object.create(runnerDb.notificationsOutbox, {
      markNotified: { value: async () => Promise.reject(Object.assign(new Error('connection lost'), { code: 'ECONNRESET' })) },
    });
    const leased = Date.now();
    await assert.rejects(notifyRound(deps({ notificationsOutbox: dying, leaseMs: 1000 })));
    assert.equal(r.calls.length, 1);
    await drain(deps({ owner: 'notifier-2' }));
    assert.ok(Date.now() - leased < 1000, 'the check ran within the lease');
    assert.equal(r.calls.length, 1, 'not while the lease lasts');
    await new Promise((res) => setTimeout(res, 1000 - (Date.now() - leased) + 20));
    await drain(deps({ owner: 'notifier-2' }));
    assert.equal(r.calls.length, 2);
    assert.equal(new Set(deliveryIds(r.calls)).size, 1);
  });

  test('a failed job is announced with its reason, also one that failed before the runner started it', async () => {
    const r = await hook();
    const started = randomUUID();
    await runnerDb.jobRecords.start({
      _id: started,
      created_at: new Date(Date.now() - 2000),
      expected_frames: null,
      parameters: { sample_every: 5 },
      input: input(started, `${r.url}/h`),
    });
    await runnerDb.frameCollection.markFailed(started, 'the video is damaged: moov atom not found', new Date());
    const never = randomUUID();
    await runnerDb.frameCollection.markFailed(never, 'the video videos/input/x.mp4 is not in the object store', new Date(), {
      created_at: new Date(),
      input: input(never, `${r.url}/h`),
    });
    await drain();
    assert.equal(r.calls.length, 2);
    const byId = new Map(r.calls.map((c) => [json(c).event_id, c]));
    const a = byId.get(started)!;
    assert.equal(a.headers['x-framewise-event'], 'job.failed');
    assert.equal(json(a).status, 'failed');
    assert.equal(json(a).reason, 'the video is damaged: moov atom not found');
    assert.equal(json(a).result_url, undefined);
    assert.equal(
      json(byId.get(never)!).reason,
      'the video a stored file is not in the object store',
      'the webhook names no object key (core/client-reason.ts)',
    );
  });

  test('a job whose event died in the jobs outbox is announced failed; replaying the event takes the failed record back', async () => {
    const r = await hook();
    const id = randomUUID();
    await outboxDb.jobsOutbox.insert(videoSubmitted(id, input(id, `${r.url}/h`), 'outbox_events', undefined, new Date(Date.now() - 5000)));
    await outboxDb.jobsOutbox.recordFailure(id, 'RECORD_TOO_LARGE', new Date());
    assert.equal(await outboxDb.jobsOutbox.markDead(id, 'RECORD_TOO_LARGE', new Date()), true);
    const quiet = randomUUID();
    await outboxDb.jobsOutbox.insert(videoSubmitted(quiet, input(quiet), 'outbox_events', undefined));
    await outboxDb.jobsOutbox.markDead(quiet, 'RECORD_TOO_LARGE', new Date());
    const seen = await sweepUndispatched({ ...undispatchedDeps(), log, limit: 100 }, new Set());
    assert.equal(seen.size, 2);
    assert.equal(await runnerDb.jobRecords.get(quiet), undefined, 'no webhook: nothing recorded');
    await drain();
    assert.equal(r.calls.length, 1);
    const body = json(r.calls[0]!);
    assert.equal(body.event_id, id);
    assert.equal(body.status, 'failed');
    assert.equal(body.reason, 'the job could not be dispatched after 2 attempts: RECORD_TOO_LARGE');
    const status = (await api.inject({ url: `/api/result_video/${id}` })).json();
    assert.equal(status.status, 'failed');
    assert.equal(status.reason, body.reason, 'the API says the same');
    // A second sweep changes nothing; neither does one that forgot what it saw.
    await sweepUndispatched({ ...undispatchedDeps(), log, limit: 100 }, seen);
    await sweepUndispatched({ ...undispatchedDeps(), log, limit: 100 }, new Set());
    await drain();
    assert.equal(r.calls.length, 1);
    // An operator replays the dead event: the job goes back to the relay, the runner will take it.
    assert.equal((await api.inject({ method: 'POST', url: `/api/admin/dead_letters/jobs/${id}/replay` })).statusCode, 200);
    assert.equal(await runnerDb.jobRecords.get(id), undefined);
    assert.equal((await outboxDb.outboxEvents.get(id))?.status, 'new');
    assert.equal((await api.inject({ url: `/api/result_video/${id}` })).json().status, 'new');
  });

  test('410 Gone: dead at once, no retry', async () => {
    const r = await hook(() => 410);
    const id = await readyJob(`${r.url}/h`);
    await drain();
    assert.equal(r.calls.length, 1);
    const [dead] = await runnerDb.notificationsDeadLetters.listDeadNotifications(10);
    assert.equal(dead?.event_id, id);
    assert.match(dead?.last_error ?? '', /410 Gone/);
  });

  test('a receiver that does not answer, refuses connections or redirects: counted attempts, then dead (never an outage)', async () => {
    const slow = await hook(() => 'hang');
    const moved = await hook(() => ({ redirect: '/elsewhere' }));
    const closed = await hook();
    await closed.close();
    const a = await readyJob(`${slow.url}/h`);
    const b = await readyJob(`${moved.url}/h`);
    const c = await readyJob(`${closed.url}/h`);
    await drain(deps({ webhook: { secret: SECRET, timeoutMs: 200, allowPrivate: true } }));
    assert.equal(slow.calls.length, 3);
    assert.equal(moved.calls.length, 3);
    assert.ok(
      moved.calls.every((x) => x.path === '/h'),
      'the redirect is not followed',
    );
    const dead = new Map((await runnerDb.notificationsDeadLetters.listDeadNotifications(10)).map((n) => [n.event_id, n]));
    assert.equal(dead.get(a)?.last_error, 'no answer within 200 ms');
    assert.equal(dead.get(b)?.last_error, 'the receiver answered HTTP 302 (redirects are not followed)');
    assert.equal(dead.get(c)?.last_error, 'could not reach the receiver: connection refused');
    assert.equal(dead.get(c)?.attempts, 3);
  });

  test('unsigned when no secret is configured', async () => {
    const r = await hook();
    await readyJob(`${r.url}/h`);
    await drain(deps({ webhook: { secret: undefined, timeoutMs: 2000, allowPrivate: true } }));
    assert.equal(r.calls.length, 1);
    assert.equal(r.calls[0]!.headers['x-framewise-signature'], undefined);
    assert.ok(r.calls[0]!.headers['x-framewise-delivery']);
  });

  test('the stage: lanes deliver side by side, a slow receiver holds up only its own lane', async () => {
    const slow = await hook(() => 'hang');
    const fast = await hook();
    await readyJob(`${slow.url}/h`, new Date(Date.now() - 2000));
    const quick = await Promise.all(Array.from({ length: 6 }, () => readyJob(`${fast.url}/h`)));
    const stage = startNotifier(
      {
        ...undispatchedDeps(),
        notificationsOutbox: runnerDb.notificationsOutbox,
        notificationsDeadLetters: runnerDb.notificationsDeadLetters,
        log,
        owner: 'stage',
        leaseMs: 60_000,
        retry: { baseMs: 60_000, capMs: 60_000, maxAttempts: 3 },
        webhook: { secret: SECRET, timeoutMs: 5000, allowPrivate: true },
        concurrency: 2,
      },
      { minIntervalMs: 5, maxIntervalMs: 20 },
      { sentMs: 1e9, deadMs: 1e9, sweepMs: 60_000 },
    );
    try {
      await waitFor(() => fast.calls.length >= quick.length, 'the fast receiver to get every call', 4000);
      assert.equal(slow.calls.length, 1, 'still waiting for the slow one');
      assert.deepEqual(fast.calls.map((c) => json(c).event_id).sort(), [...quick].sort());
    } finally {
      await slow.close();
      await stage.stop();
    }
  });
});
