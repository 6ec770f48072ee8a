import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { text } from 'node:stream/consumers';
import { FramewiseError } from '../../core/errors.js';
import { PREDICTION_OPENER, type PublishedFrame } from '../../core/result-document.js';

/** What a client may ask of a ready result: a page, and filters. */
export interface ResultQuery {
  /** Frames per page (1–1000); absent: all frames from the cursor on. */
  limit?: number;
  /** Where the previous page stopped (its `next_cursor`). */
  cursor?: string;
  /** Keep only objects of these classes. */
  classes?: string[];
  /** Keep only objects at least this confident. */
  minConf?: number;
  /** Keep only objects of this track. */
  trackId?: number;
  /** Keep only frames in this time range (ms, inclusive). */
  fromMs?: number;
  toMs?: number;
}

export interface ResultPage {
  /** Everything in the document but the frames: ids, parameters, model, video and the summaries. */
  head: Record<string, unknown>;
  prediction: PublishedFrame[];
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
}

/** Cursors are opaque to clients: the last frame number a page held. */
export const encodeCursor = (frame: number) => Buffer.from(`f:${frame}`).toString('base64url');

export function decodeCursor(cursor: string): number {
  const m = /^f:(\d{1,12})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!m) throw new FramewiseError('ERR_RESULT_QUERY_INVALID', `cursor ${JSON.stringify(cursor.slice(0, 40))} is not one this server gave`);
  return Number(m[1]);
}

/** Checks the query's own consistency (before any lookup). */
export function checkResultQuery(q: ResultQuery): void {
  if (q.fromMs !== undefined && q.toMs !== undefined && q.fromMs > q.toMs)
    throw new FramewiseError('ERR_RESULT_QUERY_INVALID', `from_ms (${q.fromMs}) is after to_ms (${q.toMs})`);
  if (q.cursor !== undefined) decodeCursor(q.cursor);
}

/** A frame with only the objects the query keeps, or undefined when the frame itself is out of range. */
export function filtered(f: PublishedFrame, q: ResultQuery, after: number): PublishedFrame | undefined {
  if (f.frame <= after) return undefined;
  if (q.fromMs !== undefined || q.toMs !== undefined) {
    const t = f.timestamp_ms;
    if (t === undefined || (q.fromMs !== undefined && t < q.fromMs) || (q.toMs !== undefined && t > q.toMs)) return undefined;
  }
  if (!q.classes && q.minConf === undefined && q.trackId === undefined) return f;
  const objects = f.objects.filter(
    (o) =>
      (!q.classes || q.classes.includes(o.class)) && (q.minConf === undefined || o.conf >= q.minConf) && (q.trackId === undefined || o.track_id === q.trackId),
  );
  return { ...f, objects };
}

/**
 * One page of a published `detection/{id}.json`, read as a stream: the head line, then frame lines
 * until the page is full and one more kept frame shows there is a next page — memory holds one
 * page, whatever the video's length. Filters keep every frame in the time range (so pages follow
 * the sampled frames) and drop objects that do not match. Documents published before the
 * one-frame-per-line layout are parsed whole.
 */
export async function readResultPage(doc: Readable, q: ResultQuery): Promise<ResultPage> {
  const after = q.cursor !== undefined ? decodeCursor(q.cursor) : -1;
  const limit = q.limit ?? Infinity;
  const lines = createInterface({ input: doc, crlfDelay: Infinity })[Symbol.asyncIterator]();
  try {
    const first = await lines.next();
    const headLine = first.done ? '' : first.value;
    if (!headLine.endsWith(PREDICTION_OPENER)) return pageOf(await legacy(headLine, lines), q, after, limit);
    const head = JSON.parse(headLine.slice(0, -PREDICTION_OPENER.length) + '}') as Record<string, unknown>;
    const prediction: PublishedFrame[] = [];
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      const line = next.value.endsWith(',') ? next.value.slice(0, -1) : next.value;
      if (line === ']}') break;
      if (line === '') continue; // a result without frames: `[` and `]}` with an empty line between
      const frame = JSON.parse(line) as PublishedFrame;
      if (q.toMs !== undefined && frame.timestamp_ms !== undefined && frame.timestamp_ms > q.toMs) break;
      const kept = filtered(frame, q, after);
      if (!kept) continue;
      if (prediction.length === limit) return { head, prediction, next_cursor: encodeCursor(prediction.at(-1)!.frame) };
      prediction.push(kept);
    }
    return { head, prediction, next_cursor: null };
  } finally {
    doc.destroy();
  }
}

async function legacy(firstLine: string, rest: AsyncIterator<string>): Promise<Record<string, unknown>> {
  const parts = [firstLine];
  for (let next = await rest.next(); !next.done; next = await rest.next()) parts.push(next.value);
  return JSON.parse(parts.join('\n')) as Record<string, unknown>;
}

function pageOf(doc: Record<string, unknown>, q: ResultQuery, after: number, limit: number): ResultPage {
  const { prediction = [], ...head } = doc as { prediction?: PublishedFrame[] };
  const kept = prediction.map((f) => filtered(f, q, after)).filter((f): f is PublishedFrame => f !== undefined);
  const page = kept.slice(0, limit);
  return { head, prediction: page, next_cursor: kept.length > page.length ? encodeCursor(page.at(-1)!.frame) : null };
}

/** For tests and tools: a whole document's text. */
export const documentText = (doc: Readable) => text(doc);
