import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/adapters/sqlite/database.js';
import { SqliteLogBus } from '../../src/adapters/bus/sqlite-log.js';
import { sqliteOutboxDatabase } from '../../src/adapters/sqlite/outbox-database.js';
import { sqliteRunnerDatabase } from '../../src/adapters/sqlite/runner-database.js';
import { SqliteFrameCollection } from '../../src/adapters/frame-collection/sqlite.js';
import { SqliteJobRecords } from '../../src/adapters/job-records/sqlite.js';
import { LocalDirObjectStore } from '../../src/adapters/object-store/local-dir.js';
import { busContract } from '../contracts/bus-contract.js';
import { objectStoreContract } from '../contracts/object-store-contract.js';
import { runnerContracts, outboxContracts } from '../contracts/all-store-contracts.js';

// Embedded mode's adapters against the shared port contracts.

busContract('SQLite log', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fw-bus-'));
  const opened: Array<ReturnType<typeof openDatabase>> = [];
  return {
    async open() {
      const db = openDatabase(join(dir, 'bus.db'));
      opened.push(db);
      return new SqliteLogBus(db, { idlePollMs: 50, retryBaseMs: 10, retryMaxMs: 50 });
    },
    async dispose() {
      for (const db of opened) db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

objectStoreContract('local directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fw-objects-'));
  return { store: new LocalDirObjectStore(dir, 'videos'), dispose: () => rm(dir, { recursive: true, force: true }) };
});

// Every jobs-outbox and runner port's suite, on one in-memory database each time.
outboxContracts('SQLite', async () => {
  const db = openDatabase(':memory:');
  return { store: sqliteOutboxDatabase(db), dispose: async () => void db.close() };
});

runnerContracts('SQLite', async () => {
  const db = openDatabase(':memory:');
  return { store: sqliteRunnerDatabase(db), peer: () => sqliteRunnerDatabase(db), dispose: async () => void db.close() };
});

test('SQLite frame collection: a frame result is stored without a WAL fsync, every other commit stays fully synchronous', async () => {
  // Why: a frame's result is derived (its frame is extracted again after a crash), an upload is
  // not. The toggle must never leak: the commits after it must still be synchronous=FULL (2).
  const dir = await mkdtemp(join(tmpdir(), 'fw-sync-'));
  const db = openDatabase(join(dir, 'framewise.db'));
  try {
    const store = new SqliteFrameCollection(db);
    const records = new SqliteJobRecords(db);
    const job = '7d6f0a4e-1c2b-4d5e-8f90-a1b2c3d4e5f6';
    await records.start({ _id: job, expected_frames: 2, parameters: {} as never, created_at: new Date() });
    assert.equal(db.pragma('synchronous', { simple: true }), 2);
    assert.equal((await store.addFrameResult(job, { frame: 0, objects: [] }))?.received_frames, 1);
    assert.equal(db.pragma('synchronous', { simple: true }), 2);
    // A transaction that throws (objects that cannot be serialised) rolls back and still restores FULL.
    await assert.rejects(store.addFrameResult(job, { frame: 1, objects: [{ n: 1n }] as never }), /BigInt/);
    assert.equal(db.pragma('synchronous', { simple: true }), 2);
    assert.equal((await records.get(job))?.received_frames, 1);
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
});
