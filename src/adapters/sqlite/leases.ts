import { prepared, type SqliteDatabase } from './database.js';
import type { Claim } from '../../core/job.js';

/** The lease columns every claimable table has (`lease_until` 0 = free). */
export const LEASE_COLUMNS = { lease_until: 'INTEGER NOT NULL DEFAULT 0', lease_owner: 'TEXT' };

/** Adds columns a database made by an earlier version lacks. */
export function addColumns(db: SqliteDatabase, table: string, columns: Record<string, string>): void {
  const have = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name));
  for (const [name, type] of Object.entries(columns)) if (!have.has(name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
}

/**
 * Claims up to `claim.limit` rows of `table` in `status` that are due (`dueColumn` ≤ now) and whose
 * lease is free, expired or already the claimer's, oldest first, and leases them — in one
 * transaction, so two claimers never share a row.
 */
export function claimRows<R extends { _id: string }>(db: SqliteDatabase, table: string, status: string, claim: Claim, dueColumn: string): R[] {
  const now = claim.now.getTime();
  return db.transaction(() => {
    const rows = prepared(
      db,
      `SELECT * FROM ${table} WHERE status = ? AND ${dueColumn} <= ? AND (lease_until <= ? OR lease_owner = ?) ORDER BY created_at, _id LIMIT ?`,
    ).all(status, now, now, claim.owner, claim.limit) as R[];
    const lease = prepared(db, `UPDATE ${table} SET lease_until = ?, lease_owner = ? WHERE _id = ?`);
    for (const r of rows) lease.run(now + claim.leaseMs, claim.owner, r._id);
    return rows;
  })();
}
