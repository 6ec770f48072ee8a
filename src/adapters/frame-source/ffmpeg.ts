import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { VideoDecodeError, type FrameReadOptions, type FrameSource, type SampledFrame, type VideoInfo } from '../../ports/frame-source.js';
import { readPpmFrames } from './ppm-stream.js';
import { resolveBinary } from './binaries.js';
import { DECODED_SHOWINFO, FfmpegLog, SAMPLED_SHOWINFO } from './ffmpeg-log.js';
import { sampledFrames, type VideoIndex } from '../../core/segments.js';
import { binarySearch, damageReport, placeOf } from './damage-report.js';
import { damaged, lastLines, noFrame, refusedFormat, segmentMismatch, signalName } from './ffmpeg-failures.js';
import { Watchdog } from './watchdog.js';
import { createInterface } from 'node:readline';
import { FfmpegSandbox, type Exit, type ResourceLimits } from './ffmpeg-sandbox.js';

const run = promisify(execFile);

/** Decoding allowance per decoded frame between two sampled ones: ffmpeg must decode at least 10 frames/s. */
export const STALL_MS_PER_FRAME = 100;

export interface FfmpegOptions {
  ffmpegPath?: string;
  ffprobePath?: string;
  /**
   * `fail`: a decoding error anywhere fails the video; `tolerate`: keep the frames that decoded,
   * placed by the container's index from the first error on, and tell `onDamage` which never did.
   */
  decodeErrors: 'fail' | 'tolerate';
  /** Decoder threads (0 = ffmpeg's choice). */
  threads?: number;
  /** Longest ffprobe may take, ms (default 30 000). */
  probeTimeoutMs?: number;
  /**
   * Longest ffmpeg may take to deliver the next sampled frame once it is asked for, ms, plus
   * `STALL_MS_PER_FRAME` per frame it decodes in between (default 60 000). Time the consumer
   * spends with a frame does not count, so slow detection never trips it; an input that never
   * delivers (a stalled pipe, a hung mount) or a decoder that spins does.
   */
  decodeStallMs?: number;
  /** Memory and CPU time of each ffmpeg/ffprobe (via prlimit, where there is one). */
  limits?: ResourceLimits;
  /** prlimit to use (default: found on PATH). */
  prlimitPath?: string;
  /** Told once when the limits cannot be applied (no prlimit). */
  warn?: (message: string) => void;
}

interface ProbeJson {
  streams?: Array<{
    codec_name?: string;
    width?: number;
    height?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    nb_frames?: string;
    duration?: string;
    tags?: Record<string, string>;
    side_data_list?: Array<{ rotation?: number }>;
  }>;
  format?: { format_name?: string; duration?: string };
}

/** Containers ffmpeg reads single images with: a still image is not a video. */
const STILL_IMAGE_FORMATS = /^(image2|.*_pipe)$/;
/** Demuxers that turn arbitrary text into "video" (ffmpeg renders text files as ANSI art). */
const TEXT_FORMATS = /^(tty|ansi|bin|xbin|idf|adf|srt|ass|webvtt)$/;

function rate(r: string | undefined): number | undefined {
  if (!r) return undefined;
  const [n, d] = r.split('/').map(Number);
  const v = d ? n! / d : n!;
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

/** Decodes with ffmpeg in a child process: frames arrive as PPM on a pipe, one at a time. */
export class FfmpegFrameSource implements FrameSource {
  private readonly ffmpeg: string;
  private readonly ffprobe: string;
  private readonly sandbox: FfmpegSandbox;
  private fpsModeFlag: Promise<string[]> | undefined;

  constructor(private readonly opts: FfmpegOptions) {
    this.ffmpeg = resolveBinary('ffmpeg', opts.ffmpegPath);
    this.ffprobe = resolveBinary('ffprobe', opts.ffprobePath);
    this.sandbox = new FfmpegSandbox({
      ...(opts.limits ? { limits: opts.limits } : {}),
      ...(opts.prlimitPath ? { prlimitPath: opts.prlimitPath } : {}),
      ...(opts.warn ? { warn: opts.warn } : {}),
    });
  }

  async probe(path: string): Promise<VideoInfo> {
    const timeoutMs = this.opts.probeTimeoutMs ?? 30_000;
    const args = [
      '-v',
      'error',
      ...(await this.sandbox.inputOptions(this.ffprobe)),
      '-print_format',
      'json',
      '-show_format',
      '-show_streams',
      '-select_streams',
      'v:0',
      // `file:` so that a path is never read as another protocol's URL.
      `file:${path}`,
    ];
    const command = await this.sandbox.command(this.ffprobe, args, timeoutMs / 1000);
    let json: ProbeJson;
    try {
      const { stdout } = await run(command.file, command.args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024 });
      json = JSON.parse(stdout) as ProbeJson;
    } catch (err) {
      throw this.probeFailure(err, timeoutMs);
    }
    const v = json.streams?.[0];
    if (!v) throw new VideoDecodeError('the file has no video stream (audio only, or not a video)');
    if (TEXT_FORMATS.test(json.format?.format_name ?? '')) throw new VideoDecodeError('not a video: the file is text');
    if (STILL_IMAGE_FORMATS.test(json.format?.format_name ?? '')) throw new VideoDecodeError('the file is a still image, not a video');
    if (!v.width || !v.height) throw new VideoDecodeError('the video stream has no frame size (damaged header)');
    const rotation = Math.round(v.side_data_list?.find((s) => s.rotation !== undefined)?.rotation ?? Number(v.tags?.rotate ?? 0)) || 0;
    const quarter = Math.abs(rotation) % 180 === 90;
    const fps = rate(v.avg_frame_rate) ?? rate(v.r_frame_rate);
    const durationSeconds = Number(v.duration ?? json.format?.duration) || undefined;
    const stated = Number(v.nb_frames) || undefined;
    return {
      width: quarter ? v.height : v.width,
      height: quarter ? v.width : v.height,
      fps,
      durationSeconds,
      frameCount: stated ?? (fps && durationSeconds ? Math.round(fps * durationSeconds) : undefined),
      codec: v.codec_name ?? 'unknown',
      rotation,
    };
  }

  async index(path: string): Promise<VideoIndex | undefined> {
    const timeoutMs = this.opts.probeTimeoutMs ?? 30_000;
    const input = [...(await this.sandbox.inputOptions(this.ffprobe)), `file:${path}`];
    const head = await this.sandbox.command(
      this.ffprobe,
      ['-v', 'error', ...input.slice(0, -1), '-select_streams', 'v:0', '-show_entries', 'stream=time_base:format=start_time', '-of', 'json', input.at(-1)!],
      timeoutMs / 1000,
    );
    let timeBase: { num: number; den: number };
    let startUs = 0;
    try {
      const { stdout } = await run(head.file, head.args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024 });
      const j = JSON.parse(stdout) as { streams?: Array<{ time_base?: string }>; format?: { start_time?: string } };
      const [num, den] = (j.streams?.[0]?.time_base ?? '').split('/').map(Number);
      if (!num || !den) return undefined;
      timeBase = { num, den };
      const start = Number(j.format?.start_time);
      if (Number.isFinite(start)) startUs = Math.round(start * 1e6);
    } catch (err) {
      throw this.probeFailure(err, timeoutMs);
    }
    // Every packet's timestamp and flags (K: keyframe, D: discarded by the demuxer: never output).
    const list = await this.sandbox.command(
      this.ffprobe,
      ['-v', 'error', ...input.slice(0, -1), '-select_streams', 'v:0', '-show_entries', 'packet=pts,flags', '-of', 'csv=p=0', input.at(-1)!],
      timeoutMs / 1000,
    );
    const child = spawn(list.file, list.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4096)));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    let pts = new Float64Array(1024);
    let n = 0;
    const keyPts: number[] = [];
    let unusable = false;
    try {
      for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
        if (!line) continue;
        const [t, flags = ''] = line.split(',');
        if (flags.includes('D')) continue;
        const v = Number(t);
        if (!Number.isSafeInteger(v)) {
          unusable = true; // a packet without a timestamp: frames cannot be placed by it
          child.kill('SIGKILL');
          break;
        }
        if (n === pts.length) {
          const grown = new Float64Array(n * 2);
          grown.set(pts);
          pts = grown;
        }
        pts[n++] = v;
        if (flags.includes('K')) keyPts.push(v);
      }
    } finally {
      clearTimeout(timer);
    }
    const code = await exited;
    if (unusable) return undefined;
    if (code !== 0) throw new VideoDecodeError(`not a readable video: ${lastLines(stderr) || `ffprobe exited with ${code}`}`);
    const sorted = pts.slice(0, n).sort();
    for (let i = 1; i < n; i++) if (sorted[i] === sorted[i - 1]) return undefined; // two frames at one time
    const keyframes = keyPts.map((k) => binarySearch(sorted, k)).filter((i) => i >= 0);
    if (keyframes.length === 0) return undefined;
    keyframes.sort((a, b) => a - b);
    // What ffmpeg adds to timestamps when it shifts the file's start to zero (av_rescale_q: to
    // the nearest, halves away from zero).
    const shift = (-startUs * timeBase.den) / (1e6 * timeBase.num);
    const ptsOffset = Math.sign(shift) * Math.round(Math.abs(shift));
    return { timeBase, ptsOffset, pts: sorted, keyframes };
  }

  private probeFailure(err: unknown, timeoutMs: number): VideoDecodeError {
    const e = err as { stderr?: string; killed?: boolean; code?: unknown; signal?: NodeJS.Signals | null; message: string };
    const stderr = e.stderr ?? '';
    if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return new VideoDecodeError('not a readable video: its description is too large');
    if (e.killed) return new VideoDecodeError(`reading the video timed out (${timeoutMs / 1000} s)`);
    const refused = refusedFormat(stderr);
    if (refused) return refused;
    const limit = this.sandbox.explain({ code: typeof e.code === 'number' ? e.code : null, signal: e.signal ?? null }, stderr, 'ffprobe');
    if (limit) return new VideoDecodeError(`not a readable video: ${limit}`);
    return new VideoDecodeError(`not a readable video: ${lastLines(stderr) || e.message}`);
  }

  private passthroughFlag(): Promise<string[]> {
    // `-vsync` became `-fps_mode` in ffmpeg 5.1; both mean "never duplicate or drop frames".
    this.fpsModeFlag ??= run(this.ffmpeg, ['-hide_banner', '-version']).then(
      ({ stdout }) => {
        const m = /version n?(\d+)\.(\d+)/.exec(stdout);
        const modern = m && (Number(m[1]) > 5 || (Number(m[1]) === 5 && Number(m[2]) >= 1));
        return modern ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough'];
      },
      () => ['-vsync', 'passthrough'],
    );
    return this.fpsModeFlag;
  }

  async *frames(path: string, every: number, options: FrameReadOptions = {}): AsyncIterable<SampledFrame> {
    const segment = options.segment;
    const strict = this.opts.decodeErrors === 'fail';
    // Tolerating damage needs every decoded frame's timestamp, to find the frames that never decoded.
    const decoded = strict ? '' : `${DECODED_SHOWINFO},`;
    const args = [
      // Level-tagged lines: showinfo's frame times (info) apart from decoding errors.
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-loglevel',
      'level+info',
      '-threads',
      String(this.opts.threads ?? 0),
      // ffmpeg exits 69 when over 2/3 of the frames fail to decode: tolerating, the share is the job's to judge.
      ...(strict ? [] : ['-max_error_rate', '1']),
      ...(await this.sandbox.inputOptions(this.ffmpeg)),
      // A segment: the stream's own timestamps (its frames are chosen by them), and a seek to its
      // keyframe that keeps whatever the decoder outputs from there (the range select decides).
      ...(segment ? ['-copyts', ...(segment.seekSeconds > 0 ? ['-noaccurate_seek', '-ss', segment.seekSeconds.toFixed(6)] : [])] : []),
      '-i',
      `file:${path}`,
      '-map',
      '0:v:0',
      // Sampling happens inside ffmpeg, so unsampled frames never cross the pipe; showinfo logs
      // each sampled frame's presentation time (right for variable frame rate too).
      '-vf',
      segment
        ? `${segmentRange(segment)},${decoded}select=not(mod(n+${segment.firstFrame}\\,${every})),${SAMPLED_SHOWINFO}`
        : `${decoded}select=not(mod(n\\,${every})),${SAMPLED_SHOWINFO}`,
      ...(await this.passthroughFlag()),
      '-f',
      'image2pipe',
      '-c:v',
      'ppm',
      'pipe:1',
    ];
    const command = await this.sandbox.command(this.ffmpeg, args);
    const child = spawn(command.file, command.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const log = new FfmpegLog(child.stderr, segment ? { ptsOffset: segment.ptsOffset, ignoreErrorsBeforeFirstFrame: segment.seekSeconds > 0 } : {});
    const numbers = segment && sampledFrames(segment, every);
    const exited = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
    const spawnError = new Promise<never>((_, reject) => child.once('error', (e) => reject(new VideoDecodeError(`cannot run ffmpeg: ${e.message}`))));
    spawnError.catch(() => {});
    const stallMs = (this.opts.decodeStallMs ?? 60_000) + every * STALL_MS_PER_FRAME;
    const watchdog = new Watchdog(stallMs, () => child.kill('SIGKILL'));
    let k = 0;
    let finished = false;
    /** Set at the first decoding error of a tolerant read: from then on frames are placed by the index. */
    let damage: { index: VideoIndex | undefined } | undefined;
    /** The last frame number given, so that a frame the index does not list still gets a later one. */
    let lastFrame = -1;
    /** Frames given (k counts those ffmpeg sampled, repeats included). */
    let given = 0;
    const report = (stated?: VideoInfo) => options.onDamage?.(damageReport(damage?.index, log, every, given, segment, finished, stated));
    try {
      let broken: Error | undefined;
      watchdog.arm();
      try {
        for await (const image of readPpmFrames(child.stdout, options)) {
          const timestampMs = await log.timestampMs(k);
          // ffmpeg reports damage on stderr and carries on; in strict mode stop at the first report.
          if (strict && log.errors.trim()) throw damaged(log.errors, k);
          watchdog.disarm();
          // Frames that never decoded shift ffmpeg's count `n` (the sampling's, and a segment's
          // numbering): once damage shows, each frame's number is its place in the index instead.
          if (!strict && !damage && log.errors.trim()) damage = { index: await this.index(path).catch(() => undefined) };
          let frame = numbers ? numbers[k]! : k * every;
          if (damage) {
            frame = placeOf(damage.index, log.ptsOf(k), segment ? 0 : undefined) ?? lastFrame + every;
          } else if (segment && numbers) {
            const want = segment.sampledPts[k];
            if (want === undefined || log.ptsOf(k) !== want) throw segmentMismatch(segment, numbers[k], log.ptsOf(k), want);
          }
          // A damaged H.264 stream may output a concealed frame twice with one timestamp: frame
          // numbers stay unique and ascending (results are stored once per frame), so a repeat is dropped.
          if (frame > lastFrame) {
            lastFrame = frame;
            given++;
            yield { frame, image, ...(timestampMs !== undefined ? { timestampMs } : {}) };
          }
          k++;
          // A segment ends with its last sampled frame: the rest of the video is other segments'.
          if (segment && k === segment.sampledPts.length) break;
          watchdog.arm();
        }
      } catch (err) {
        if (err instanceof VideoDecodeError) throw err;
        // The output ended inside a frame, or was not PPM: ffmpeg was stopped or died; its exit tells why.
        broken = err as Error;
        child.kill('SIGKILL');
      }
      watchdog.disarm();
      if (segment && k === segment.sampledPts.length) {
        child.kill('SIGKILL');
        if (damage || segment.lostTail) report();
        finished = true;
        return;
      }
      const exit = await Promise.race([exited, spawnError]);
      finished = true;
      if (watchdog.fired) throw new VideoDecodeError(`decoding stalled: no frame from ffmpeg for ${stallMs / 1000} s after sampled frame ${k}`);
      if (exit.code !== 0 || broken) {
        const refused = refusedFormat(log.errors);
        if (refused) throw refused;
        // ffmpeg catches SIGXCPU (its CPU limit) and exits 255: its log names the signal, not its exit.
        const cpu = signalName(log.receivedSignal) === 'SIGXCPU' ? { code: exit.code, signal: 'SIGXCPU' as const } : exit;
        const limit = !broken || exit.signal !== 'SIGKILL' ? this.sandbox.explain(cpu, log.errors) : undefined;
        // A decoder that never gave a frame makes ffmpeg fail at the end ("Cannot determine format
        // of input stream … after EOF"): tolerating, that is damage (a segment's, or the whole video's).
        const undecodable = !strict && !limit && !broken && given === 0 && /Error while decoding stream/.test(log.errors);
        if (undecodable && !segment) throw noFrame(log);
        if (!undecodable)
          throw new VideoDecodeError(
            `decoding failed after ${k} sampled frames: ${limit ?? (lastLines(log.errors) || broken?.message || `ffmpeg exited with ${exit.code}`)}`,
          );
      }
      if (strict && log.errors.trim()) throw damaged(log.errors, k);
      // Errors after the last sampled frame: damage all the same (frames after it may be missing).
      if (!strict && !damage && log.errors.trim()) damage = { index: await this.index(path).catch(() => undefined) };
      if (segment && k < segment.sampledPts.length && !damage) throw segmentMismatch(segment, numbers?.[k], undefined, segment.sampledPts[k]);
      if (given === 0 && !segment) throw noFrame(log);
      // A whole read's timeline may end early (a truncated file lists only the packets it holds):
      // the frames the container states beyond it are lost too.
      if (damage || segment?.lostTail) report(segment ? undefined : await this.probe(path).catch(() => undefined));
    } finally {
      watchdog.disarm();
      if (!finished) child.kill('SIGKILL');
    }
  }
}

/** The range select of a segment: its frames by their own timestamps. */
function segmentRange(segment: NonNullable<FrameReadOptions['segment']>): string {
  return segment.toPts === null ? `select=gte(pts\\,${segment.fromPts})` : `select=gte(pts\\,${segment.fromPts})*lt(pts\\,${segment.toPts})`;
}
