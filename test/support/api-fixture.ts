import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { sqliteOutboxDatabase } from '../../src/adapters/sqlite/outbox-database.js';
import { sqliteRunnerDatabase } from '../../src/adapters/sqlite/runner-database.js';
import type { OutboxDatabase } from '../../src/ports/outbox-database.js';
import type { RunnerDatabase } from '../../src/ports/runner-database.js';
import { apiStores } from '../../src/modes/api-stores.js';
import { LocalDirObjectStore } from '../../src/adapters/object-store/local-dir.js';
import { buildApi, type Api, type ApiDeps } from '../../src/stages/api/app.js';
import { modelDefaults } from '../../src/core/model-defaults.js';

/** The embedded stores an API fixture builds in its own temp directory: what `framewise` runs on without a cluster. */
export interface ApiStores {
  /** The temp directory holding everything below; removed by `close()`. */
  dir: string;
  /** `dir/db.sqlite`, shared by `outboxDb` and `runnerDb`. */
  db: SqliteDatabase;
  /** The jobs outbox's ports. */
  outboxDb: OutboxDatabase;
  /** The runner database's ports. */
  runnerDb: RunnerDatabase;
  /** Bucket `videos` under `dir/objects`. */
  objects: LocalDirObjectStore;
}

export interface ApiFixture extends ApiStores {
  /** Built, not listening: drive it with `inject`, or `listen` on port 0 (`close()` stops it either way). */
  api: Api;
  /** What `api` was built with: spread it to build a further API on the same stores (the test closes that one). */
  deps: ApiDeps;
  /** Closes `api`, then the database, then removes `dir`. */
  close(): Promise<void>;
}

/** Overrides of the defaults, or a function of the stores for a dependency built on them (a readiness check, a wrapped store). */
export type ApiFixtureDeps = Partial<ApiDeps> | ((stores: ApiStores) => Partial<ApiDeps>);

/**
 * The in-process API the tests in `test/api` drive: real SQLite stores and a local object store in
 * a fresh temp directory (`fw-<name>-…`), a silent logger, the bundled model and a 10 MB upload limit.
 * Every field of `ApiDeps` can be overridden, the stores included; `stores` (`outboxDb`, `runnerDb`,
 * `objects`) stay the fixture's own whatever the API was given, so the test can still reach them.
 */
export async function startApiFixture(name: string, overrides: ApiFixtureDeps = {}): Promise<ApiFixture> {
  const dir = await mkdtemp(join(tmpdir(), `fw-${name}-`));
  const db = openDatabase(join(dir, 'db.sqlite'));
  const stores: ApiStores = {
    dir,
    db,
    outboxDb: sqliteOutboxDatabase(db),
    runnerDb: sqliteRunnerDatabase(db),
    objects: new LocalDirObjectStore(join(dir, 'objects'), 'videos'),
  };
  const deps: ApiDeps = {
    ...apiStores(stores.outboxDb, stores.runnerDb),
    objects: stores.objects,
    log: pino({ level: 'silent' }),
    maxUploadBytes: 10_000_000,
    models: { names: ['centernet-coco'], defaultModel: 'centernet-coco', defaults: (m: string) => modelDefaults({ models: [] }, m) },
    ...(typeof overrides === 'function' ? overrides(stores) : overrides),
  };
  // Built after the stores exist; if building fails, nothing is left open behind the test.
  let api: Api;
  try {
    api = await buildApi(deps);
  } catch (err) {
    db.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...stores,
    api,
    deps,
    async close() {
      await api.close();
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
