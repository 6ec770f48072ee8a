import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';

/**
 * Reads ffmpeg's stderr when it runs with `-loglevel level+info` and a `showinfo` filter after the
 * sampling `select`: every line is tagged with its level, so the presentation times showinfo logs
 * (one `pts_time:` line per frame that leaves the filter) are told apart from the decoder's
 * errors. The k-th time belongs to the k-th frame on stdout; stdout and stderr are separate pipes,
 * so a frame may arrive before its line and `timestampMs(k)` waits for it.
 */
export class FfmpegLog {
  private readonly times: number[] = [];
  private readonly waiters = new Map<number, Array<(ms: number | undefined) => void>>();
  private ended = false;
  /** The last error lines (level `error` or worse), tail-capped. */
  errors = '';
  /**
   * The signal ffmpeg caught and exited on (`Exiting normally, received signal 24.`): it handles
   * SIGTERM, SIGINT and SIGXCPU itself and exits 255, so its exit status does not name the signal.
   */
  receivedSignal: number | undefined;

  constructor(stderr: Readable) {
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
      this.errors = (this.errors + line.replace(' [' + level + ']', '') + '\n').slice(-8192);
      return;
    }
    if (level === 'info' && line.includes('received signal')) this.receivedSignal = Number(/received signal (\d+)/.exec(line)?.[1]) || undefined;
    if (level !== 'info' || !line.includes('Parsed_showinfo')) return;
    const m = /\bpts_time:\s*(-?[\d.]+(?:e[-+]?\d+)?)/.exec(line);
    if (!m) return;
    const seconds = Number(m[1]);
    const k = this.times.length;
    // A stream without timestamps logs NOPTS as a huge or negative value: report none.
    this.times.push(Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1e6) / 1e3 : NaN);
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
