import { MongoBulkWriteError, MongoServerError } from 'mongodb';

/** MongoDB's (and FerretDB's) code for a unique index refusing a write. */
const DUPLICATE_KEY = 11000;

/** A write refused by a unique index: a concurrent or earlier write got there first. */
export const isDuplicate = (err: unknown): boolean => err instanceof MongoServerError && err.code === DUPLICATE_KEY;

/**
 * An unordered insert's failure where every failed document was a duplicate key (the rest were
 * written). A bulk error is a server error too, its code the first failure's: every failure is
 * looked at. One with no write errors (a write concern failure) is a real failure.
 */
export const onlyDuplicates = (err: unknown): boolean => {
  if (!(err instanceof MongoBulkWriteError)) return isDuplicate(err);
  const errors = [err.writeErrors].flat();
  return errors.length > 0 && errors.every((e) => e.code === DUPLICATE_KEY);
};
