import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/adapters/sqlite/database.js';
import { SqliteLogBus } from '../../src/adapters/bus/sqlite-log.js';
import { SqliteOutboxStore } from '../../src/adapters/outbox-store/sqlite.js';
import { SqliteRunnerStore } from '../../src/adapters/runner-store/sqlite.js';
import { LocalDirObjectStore } from '../../src/adapters/object-store/local-dir.js';
import { busContract } from '../contracts/bus-contract.js';
import { objectStoreContract } from '../contracts/object-store-contract.js';
import { outboxStoreContract, runnerStoreContract } from '../contracts/job-stores-contract.js';

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

outboxStoreContract('SQLite', async () => {
  const db = openDatabase(':memory:');
  return { store: new SqliteOutboxStore(db), dispose: async () => void db.close() };
});

runnerStoreContract('SQLite', async () => {
  const db = openDatabase(':memory:');
  return { store: new SqliteRunnerStore(db), peer: () => new SqliteRunnerStore(db), dispose: async () => void db.close() };
});
