import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';

/** The name of the `showinfo` instance after the sampling `select`, whose lines are read. */
export const SAMPLED_SHOWINFO = 'showinfo@sampled';
/**
 * The `showinfo` instance before the sampling `select`: one line per decoded frame, whose
 * timestamps show which frames of the container's timeline never decoded. Without checksums,
 * which would cost a pass over every frame's pixels.
 */
export const DECODED_SHOWINFO = 'showinfo@decoded=checksum=0';
const DECODED_NAME = DECODED_SHOWINFO.split('=')[0]!;

export interface FfmpegLogOptions {
  /** Added to every logged timestamp (`pts`) before it is turned into time: a segment's shift (see `VideoIndex.ptsOffset`). */
  ptsOffset?: number;
  /**
   * Error lines logged before the first sampled frame are not the video's damage but the seek's:
   * a decode started at a keyframe mid-stream cannot decode the frames that refer to the ones
   * before it (they are the previous segment's, which decodes them whole).
   */
  ignoreErrorsBeforeFirstFrame?: boolean;
}

/**
 * Reads ffmpeg's stderr when it runs with `-loglevel level+info` and a `showinfo@sampled` filter
 * after the sampling `select`: every line is tagged with its level, so what showinfo logs (its
 * input time base once, then one line per frame that leaves the filter, with the frame's integer
 * timestamp `pts`) is told apart from the decoder's errors. The k-th line belongs to the k-th frame
 * on stdout; stdout and stderr are separate pipes, so a frame may arrive before its line and
 * `timestampMs(k)` waits for it. Times come from the integer timestamp and the time base (exact to
 * the microsecond), else from showinfo's `pts_time` (six significant digits).
 */
export class FfmpegLog {
  private readonly times: number[] = [];
  private readonly ptsValues: Array<number | undefined> = [];
  private timeBase: { num: number; den: number } | undefined;
  private readonly waiters = new Map<number, Array<(ms: number | undefined) => void>>();
  private ended = false;
  /** The last error lines (level `error` or worse), tail-capped. */
  errors = '';
  /** The first error line (level `error` or worse) that counts (see `ignoreErrorsBeforeFirstFrame`). */
  firstError = '';
  /** The raw timestamps of every decoded frame (`DECODED_SHOWINFO`), in order; 8 bytes a frame. */
  private decodedPts = new Float64Array(1024);
  /** How many of `decodedPts` are filled. */
  decodedCount = 0;
  /**
   * The signal ffmpeg caught and exited on (`Exiting normally, received signal 24.`): it handles
   * SIGTERM, SIGINT and SIGXCPU itself and exits 255, so its exit status does not name the signal.
   */
  receivedSignal: number | undefined;

  constructor(
    stderr: Readable,
    private readonly opts: FfmpegLogOptions = {},
  ) {
    const lines = createInterface({ input: stderr, crlfDelay: Infinity });
    lines.on('line', (line) => this.line(line));
    lines.once('close', () => {
      this.ended = true;
      for (const [, ws] of this.waiters) for (const w of ws) w(undefined);
      this.waiters.clear();
    });
  }

  private line(line: string): void {
    const level = /\[(panic|fatal|error|warning|info|verbose|debug|trace)\]/.exec(line)?.[1];
    if (level === 'panic' || level === 'fatal' || level === 'error' || level === undefined) {
      // Untagged lines are ffmpeg's own fatal messages; keep them with the errors.
      const clean = line.replace(' [' + level + ']', '');
      this.errors = (this.errors + clean + '\n').slice(-8192);
      if (!this.firstError && clean.trim()) this.firstError = clean.trim();
      return;
    }
    if (level === 'info' && line.includes(`[${DECODED_NAME} @`)) {
      const pts = Number(/\bpts:\s*(-?\d+)/.exec(line)?.[1]);
      if (!Number.isSafeInteger(pts)) return;
      if (this.decodedCount === this.decodedPts.length) {
        const grown = new Float64Array(this.decodedCount * 2);
        grown.set(this.decodedPts);
        this.decodedPts = grown;
      }
      this.decodedPts[this.decodedCount++] = pts;
      return;
    }
    if (level === 'info' && line.includes('received signal')) this.receivedSignal = Number(/received signal (\d+)/.exec(line)?.[1]) || undefined;
    if (level !== 'info' || !line.includes(`[${SAMPLED_SHOWINFO} @`)) return;
    const tb = /config in time_base: (\d+)\/(\d+)/.exec(line);
    if (tb) {
      if (Number(tb[1]) > 0 && Number(tb[2]) > 0) this.timeBase = { num: Number(tb[1]), den: Number(tb[2]) };
      return;
    }
    const m = /\bpts_time:\s*(-?[\d.]+(?:e[-+]?\d+)?)/.exec(line);
    if (!m) return;
    const pts = Number(/\bpts:\s*(-?\d+)/.exec(line)?.[1]);
    const seconds = Number(m[1]);
    const k = this.times.length;
    if (k === 0 && this.opts.ignoreErrorsBeforeFirstFrame) {
      this.errors = '';
      this.firstError = '';
    }
    const shifted = pts + (this.opts.ptsOffset ?? 0);
    const exact = this.timeBase && Number.isSafeInteger(pts) ? Math.round((shifted * this.timeBase.num * 1e6) / this.timeBase.den) / 1e3 : undefined;
    this.ptsValues.push(Number.isSafeInteger(pts) ? pts : undefined);
    // A stream without timestamps logs NOPTS as a huge or negative value: report none.
    const ms = exact ?? (Number.isFinite(seconds) ? Math.round(seconds * 1e6) / 1e3 : NaN);
    this.times.push(Number.isFinite(seconds) && seconds >= 0 && ms >= 0 ? ms : NaN);
    const ws = this.waiters.get(k);
    if (ws) {
      this.waiters.delete(k);
      for (const w of ws) w(this.timeAt(k));
    }
  }

  private timeAt(k: number): number | undefined {
    const t = this.times[k];
    return t === undefined || Number.isNaN(t) ? undefined : t;
  }

  /**
   * The timestamps of the frames decoded so far (before sampling), ascending, each once, shifted
   * by `-shift`: a copy, 8 bytes a frame (as the container's index), for `missingRanges`.
   */
  decodedAscending(shift = 0): Float64Array {
    const sorted = this.decodedPts.slice(0, this.decodedCount).sort();
    let n = 0;
    for (let i = 0; i < sorted.length; i++) if (n === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
    const unique = sorted.subarray(0, n);
    if (shift !== 0) for (let i = 0; i < n; i++) unique[i] = unique[i]! - shift;
    return unique;
  }

  /** The integer timestamp showinfo logged for the k-th frame (call after `timestampMs(k)` resolved). */
  ptsOf(k: number): number | undefined {
    return this.ptsValues[k];
  }

  /** Presentation time (ms, µs precision) of the k-th frame out of the filter; undefined if ffmpeg logged none. */
  timestampMs(k: number): Promise<number | undefined> {
    if (k < this.times.length || this.ended) return Promise.resolve(this.timeAt(k));
    return new Promise((resolve) => {
      const ws = this.waiters.get(k) ?? [];
      ws.push(resolve);
      this.waiters.set(k, ws);
    });
  }
}
