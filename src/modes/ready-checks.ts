import type { Db } from 'mongodb';
import type { SqliteDatabase } from '../adapters/sqlite/database.js';
import type { DetectorCatalog } from '../stages/inference/detector-catalog.js';
import type { ReadyCheck } from '../observability/readiness.js';

/**
 * The readiness checks the composition roots give `/ready` (see `observability/readiness.ts`), one
 * per kind of dependency; the Kafka bus and the object stores check themselves (`ping`).
 */

/** SQLite answers a query that reads the database file (its schema), not just the library. */
export const sqliteCheck =
  (db: SqliteDatabase): ReadyCheck =>
  async () =>
    db.prepare('SELECT count(*) AS n FROM sqlite_master').get();

/** The MongoDB server of `db` answers `ping`. */
export const mongoCheck =
  (db: Db): ReadyCheck =>
  async () =>
    db.command({ ping: 1 }, { timeoutMS: 2_000 });

/** Every model of the worker is loaded (they are at start; a crashed one is being restarted by its supervisor). */
export const detectorCheck =
  (detectors: DetectorCatalog): ReadyCheck =>
  async () => {
    if (detectors.names.length === 0) throw new Error('no model loaded');
    for (const name of detectors.names) detectors.get(name);
  };
