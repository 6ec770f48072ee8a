import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MongoClient, type CommandStartedEvent, type Db } from 'mongodb';
import { MongoRunnerCollections } from '../../src/adapters/mongo/runner-collections.js';
import { mongoRunnerDatabase } from '../../src/adapters/mongo/runner-database.js';
import { FULL_SCAN_MS } from '../../src/adapters/mongo/claim-signal.js';
import { ENDPOINTS, infraUp } from './infra.js';

// The result publisher's and the notifier's claims on FerretDB (a scan of every job record for any
// filter but `_id`): a claim with nothing new to find reads one signal document instead, and no
// write that makes work claimable is missed — by another process's store either. Real server.

before(infraUp, { timeout: 45 * 60_000 });

/** One process's runner ports on `db`: its own collections object (signal readers, write queue). */
const processOn = (db: Db) => {
  const collections = new MongoRunnerCollections(db);
  return { collections, ...mongoRunnerDatabase(collections) };
};
type RunnerProcess = ReturnType<typeof processOn>;

describe('claims on the MongoDB protocol: the claim signal', () => {
  let client: MongoClient;
  let db: Db;
  const dbs: Db[] = [];
  const scans: string[] = [];
  /** A database of its own for each test: the signal is per database. */
  const fresh = () => {
    db = client.db(`signal_${randomUUID().slice(0, 8)}`);
    dbs.push(db);
    return db;
  };

  before(async () => {
    client = await new MongoClient(ENDPOINTS.mongo, { serverSelectionTimeoutMS: 10_000, monitorCommands: true }).connect();
    client.on('commandStarted', (e: CommandStartedEvent) => {
      // The candidates query of a claim (the read-back of what it won is by `_id`s).
      if (e.commandName === 'find' && e.command.find === 'runner_predictions' && '$and' in (e.command.filter ?? {}))
        scans.push(JSON.stringify(e.command.filter));
    });
  });
  after(async () => {
    for (const d of dbs) await d.dropDatabase();
    await client.close();
  });

  const predictable = async (store: RunnerProcess, webhook = false) => {
    const id = randomUUID();
    const input = {
      bucket: 'videos',
      object: `input/${id}.mp4`,
      media_type: 'video/mp4',
      ...(webhook ? { options: { webhook_url: 'https://example.com/hook' } } : {}),
    };
    await store.jobRecords.start({ _id: id, created_at: new Date(1000), expected_frames: 1, parameters: { sample_every: 5 }, input });
    await store.frameCollection.setTotalFrames(id, 1);
    await store.frameCollection.addFrameResult(id, { frame: 0, objects: [] });
    assert.equal(await store.frameCollection.markPredictable(id), true);
    return id;
  };

  test("an idle claim scans nothing; another process's new work is claimed at once; a retry when it falls due", async () => {
    fresh();
    const publisher = processOn(db);
    const runner = processOn(db); // another process: its own signal readers
    await publisher.collections.ensureIndexes();
    const claim = (ms: number) =>
      publisher.resultsOutbox.claimPredictable({ owner: 'p', limit: 10, leaseMs: 60_000, now: new Date(ms) }).then((rs) => rs.map((r) => r._id));

    assert.deepEqual(await claim(10_000), []);
    scans.length = 0;
    for (let i = 1; i <= 5; i++) assert.deepEqual(await claim(10_000 + i * 100), []);
    assert.deepEqual(scans, [], 'nothing was made claimable: no scan');

    const a = await predictable(runner);
    assert.deepEqual(await claim(10_600), [a], "the runner's signal made the next claim scan");
    assert.equal(scans.length, 1);

    assert.equal(await publisher.resultsOutbox.recordPublishFailure(a, 'SlowDown', new Date(10_900)), true);
    assert.deepEqual(await claim(10_700), [], 'not due yet');
    scans.length = 0;
    assert.deepEqual(await claim(10_800), [], 'not due yet, and nothing new: no scan');
    assert.deepEqual(scans, []);
    assert.deepEqual(await claim(10_900), [a], 'due now: the due time the failure left makes the claim scan');

    await publisher.resultsOutbox.markReady(a, new Date(11_000), { bucket: 'b', object: 'o' });
    assert.deepEqual(await claim(11_100), []);
  });

  test('a write that left no signal (a crash between the two) is claimed within FULL_SCAN_MS, never lost', async () => {
    fresh();
    const publisher = processOn(db);
    const claim = (ms: number) =>
      publisher.resultsOutbox.claimPredictable({ owner: 'q', limit: 10, leaseMs: 60_000, now: new Date(ms) }).then((rs) => rs.map((r) => r._id));
    const id = randomUUID();
    await claim(20_000);
    // As if the process died after the write and before its signal:
    await db.collection('runner_predictions').insertOne({
      _id: id as never,
      status: 'predictable',
      created_at: new Date(1000),
      updated_at: new Date(1000),
      parameters: { sample_every: 5 },
      total_frames: 0,
      received_frames: 0,
    });
    assert.deepEqual(await claim(20_000 + FULL_SCAN_MS - 1), [], 'trusted the signal');
    assert.deepEqual(await claim(20_000 + FULL_SCAN_MS), [id], 'the periodic scan found it');
  });

  test('a lease left by a claimer that died expires into a claim; notifications are signalled as publishes are', async () => {
    fresh();
    const dead = processOn(db);
    const alive = processOn(db);
    const id = await predictable(dead, true);
    const claimBy = (store: RunnerProcess, owner: string, ms: number) =>
      store.resultsOutbox.claimPredictable({ owner, limit: 10, leaseMs: 1_000, now: new Date(ms) }).then((rs) => rs.map((r) => r._id));
    assert.deepEqual(await claimBy(dead, 'dead', 30_000), [id], 'claimed by a publisher that then dies');
    assert.deepEqual(await claimBy(alive, 'alive', 30_500), [], 'leased to the dead one');
    assert.deepEqual(await claimBy(alive, 'alive', 31_000), [id], 'its lease expired');

    const notify = (ms: number) =>
      alive.notificationsOutbox.claimNotifications({ owner: 'n', limit: 10, leaseMs: 60_000, now: new Date(ms) }).then((ns) => ns.map((n) => n.event_id));
    assert.deepEqual(await notify(31_100), []);
    assert.deepEqual(await notify(31_200), []);
    assert.equal(await dead.resultsOutbox.markReady(id, new Date(31_250), { bucket: 'b', object: 'o' }), true);
    assert.deepEqual(await notify(31_300), [id], "the ready job's webhook is claimed at once");
  });
});
