import { PREDICTION_OPENER, type PublishedFrame } from '../../core/result-document.js';
import { decodeCursor, encodeCursor, filtered, type ResultQuery } from './result-pages.js';

const NEWLINE = 0x0a;
const COMMA = 0x2c;
/** How every published frame line starts (`publishedFrames` puts `frame`, then `timestamp_ms`, first). */
const FRAME_LINE_START = /^\{"frame":(\d{1,15})(?:,"timestamp_ms":(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?))?[,}]/;

/**
 * A published `detection/{id}.json` held in memory with the byte range, frame number and time of
 * each frame line, so a page is a binary search and a splice of stored JSON: frames leave the
 * document as they were published, parsed only to drop objects a filter excludes. Results are
 * immutable once ready (a re-publish makes a new `ready_at`, hence a new entry).
 */
export class IndexedResult {
  /** Bytes held, index and the whole answer (`whole`) included: what a cache counts. */
  readonly size: number;
  /** The whole answer for the first prefix asked: a ready job's prefix never changes, so every later read sends it as is. */
  private wholeAnswer: { prefix: string; bytes: Buffer } | undefined;
  /** A page's opening (prefix, head, `"prediction":[`) for the first prefix asked, likewise. */
  private pageOpening: { prefix: string; bytes: Buffer } | undefined;

  private constructor(
    private readonly bytes: Buffer,
    /** The head's members: from after its `{` to before `,"prediction":[`. */
    private readonly headMembers: Buffer,
    private readonly frames: Float64Array,
    /** NaN where a frame has no time. */
    private readonly times: Float64Array,
    private readonly starts: Uint32Array,
    private readonly ends: Uint32Array,
  ) {
    this.size = 2 * bytes.length + this.headMembers.length + frames.length * 24;
  }

  /** Indexes a document in the one-frame-per-line layout; undefined for any other (older documents). */
  static of(bytes: Buffer): IndexedResult | undefined {
    if (bytes.length > 0xffff_ffff) return undefined;
    const headEnd = bytes.indexOf(NEWLINE);
    if (bytes[0] !== 0x7b || headEnd < 0 || bytes.toString('latin1', headEnd - PREDICTION_OPENER.length, headEnd) !== PREDICTION_OPENER) return undefined;
    const frames: number[] = [];
    const times: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    let closed = false;
    for (let pos = headEnd + 1; pos < bytes.length;) {
      let next = bytes.indexOf(NEWLINE, pos);
      if (next < 0) next = bytes.length;
      let end = next;
      if (end > pos && bytes[end - 1] === COMMA) end--;
      if (end > pos) {
        if (closed) return undefined;
        if (end - pos === 2 && bytes[pos] === 0x5d && bytes[pos + 1] === 0x7d)
          closed = true; // `]}`
        else {
          const m = FRAME_LINE_START.exec(bytes.toString('latin1', pos, Math.min(end, pos + 80)));
          if (!m) return undefined;
          frames.push(Number(m[1]));
          times.push(m[2] === undefined ? NaN : Number(m[2]));
          starts.push(pos);
          ends.push(end);
        }
      }
      pos = next + 1;
    }
    if (!closed) return undefined;
    const headMembers = bytes.subarray(1, headEnd - PREDICTION_OPENER.length);
    return new IndexedResult(bytes, headMembers, Float64Array.from(frames), Float64Array.from(times), Uint32Array.from(starts), Uint32Array.from(ends));
  }

  /** The whole answer: `prefix` (the answer's own members, each followed by a comma) then the document. */
  whole(prefix: string): Buffer {
    if (this.wholeAnswer?.prefix === prefix) return this.wholeAnswer.bytes;
    const bytes = Buffer.concat([Buffer.from(`{${prefix}`), this.bytes.subarray(1)]);
    this.wholeAnswer ??= { prefix, bytes };
    return bytes;
  }

  /**
   * One page as the answer's JSON: `prefix` members, the head's, `prediction` and `next_cursor`.
   * The same page `readResultPage` reads from a stream (filters keep every frame in the time range
   * and drop objects that do not match).
   */
  page(prefix: string, q: ResultQuery): Buffer {
    const after = q.cursor !== undefined ? decodeCursor(q.cursor) : -1;
    const limit = q.limit ?? Infinity;
    const ranged = q.fromMs !== undefined || q.toMs !== undefined;
    const objectFilters = q.classes !== undefined || q.minConf !== undefined || q.trackId !== undefined;
    const parts: Buffer[] = [this.openingOf(prefix)];
    let kept = 0;
    let last = -1;
    let nextCursor: string | null = null;
    for (let i = this.firstAfter(after); i < this.frames.length; i++) {
      const t = this.times[i]!;
      if (q.toMs !== undefined && t > q.toMs) break;
      if (ranged && (Number.isNaN(t) || (q.fromMs !== undefined && t < q.fromMs))) continue;
      if (kept === limit) {
        nextCursor = encodeCursor(last);
        break;
      }
      const line = this.bytes.subarray(this.starts[i], this.ends[i]);
      if (kept > 0) parts.push(SEPARATOR);
      parts.push(objectFilters ? Buffer.from(JSON.stringify(filtered(JSON.parse(line.toString('utf8')) as PublishedFrame, q, -1))) : line);
      kept++;
      last = this.frames[i]!;
    }
    parts.push(Buffer.from(`],"next_cursor":${JSON.stringify(nextCursor)}}`));
    return Buffer.concat(parts);
  }

  private openingOf(prefix: string): Buffer {
    if (this.pageOpening?.prefix === prefix) return this.pageOpening.bytes;
    const bytes = Buffer.concat([Buffer.from(`{${prefix}`), this.headMembers, Buffer.from(',"prediction":[')]);
    this.pageOpening ??= { prefix, bytes };
    return bytes;
  }

  /** The index of the first frame numbered above `after` (frames ascend). */
  private firstAfter(after: number): number {
    let lo = 0;
    let hi = this.frames.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.frames[mid]! <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

const SEPARATOR = Buffer.from(',');
