import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { VideoDecodeError, type FrameSource, type SampledFrame, type VideoInfo } from '../../ports/frame-source.js';
import { readPpmFrames } from './ppm-stream.js';
import { resolveBinary } from './binaries.js';
import { FfmpegLog } from './ffmpeg-log.js';

const run = promisify(execFile);

export interface FfmpegOptions {
  ffmpegPath?: string;
  ffprobePath?: string;
  /** `fail`: a decoding error anywhere fails the video; `tolerate`: keep the frames that decoded. */
  decodeErrors: 'fail' | 'tolerate';
  /** Decoder threads (0 = ffmpeg's choice). */
  threads?: number;
  probeTimeoutMs?: number;
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

function lastLines(text: string, n = 3): string {
  return text.trim().split('\n').filter(Boolean).slice(-n).map(clean).join(' | ').slice(0, 500);
}

/** `[h264 @ 0x55d…] Invalid NAL unit size` → `h264: Invalid NAL unit size` (no addresses in reasons). */
function clean(line: string): string {
  return line.replace(/^\[([\w,]+) @ 0x[0-9a-f]+\]\s*/, (_, who: string) => `${who.split(',')[0]}: `).trim();
}

function damaged(stderr: string, k: number): VideoDecodeError {
  const lines = stderr.trim().split('\n').filter(Boolean);
  return new VideoDecodeError(`the video is damaged: decoding errors near sampled frame ${k} (${lines.length} error lines; first: ${clean(lines[0] ?? '')})`.slice(0, 600));
}

/** Decodes with ffmpeg in a child process: frames arrive as PPM on a pipe, one at a time. */
export class FfmpegFrameSource implements FrameSource {
  private readonly ffmpeg: string;
  private readonly ffprobe: string;
  private fpsModeFlag: Promise<string[]> | undefined;

  constructor(private readonly opts: FfmpegOptions) {
    this.ffmpeg = resolveBinary('ffmpeg', opts.ffmpegPath);
    this.ffprobe = resolveBinary('ffprobe', opts.ffprobePath);
  }

  async probe(path: string): Promise<VideoInfo> {
    let json: ProbeJson;
    try {
      const { stdout } = await run(
        this.ffprobe,
        ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-select_streams', 'v:0', path],
        { timeout: this.opts.probeTimeoutMs ?? 30_000, maxBuffer: 4 * 1024 * 1024 },
      );
      json = JSON.parse(stdout) as ProbeJson;
    } catch (err) {
      const e = err as { stderr?: string; killed?: boolean; message: string };
      if (e.killed) throw new VideoDecodeError('reading the video timed out');
      throw new VideoDecodeError(`not a readable video: ${lastLines(e.stderr ?? '') || e.message}`);
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

  async *frames(path: string, every: number): AsyncIterable<SampledFrame> {
    const args = [
      // Level-tagged lines: showinfo's frame times (info) apart from decoding errors.
      '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+info',
      '-threads', String(this.opts.threads ?? 0),
      '-i', path,
      '-map', '0:v:0',
      // Sampling happens inside ffmpeg, so unsampled frames never cross the pipe; showinfo logs
      // each sampled frame's presentation time (right for variable frame rate too).
      '-vf', `select=not(mod(n\\,${every})),showinfo`,
      ...(await this.passthroughFlag()),
      '-f', 'image2pipe', '-c:v', 'ppm', 'pipe:1',
    ];
    const child = spawn(this.ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const log = new FfmpegLog(child.stderr);
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    const spawnError = new Promise<never>((_, reject) => child.once('error', (e) => reject(new VideoDecodeError(`cannot run ffmpeg: ${e.message}`))));
    spawnError.catch(() => {});
    let k = 0;
    let finished = false;
    try {
      const strict = this.opts.decodeErrors === 'fail';
      for await (const image of readPpmFrames(child.stdout)) {
        // ffmpeg reports damage on stderr and carries on; in strict mode stop at the first report.
        if (strict && log.errors.trim()) throw damaged(log.errors, k);
        const timestampMs = await log.timestampMs(k);
        yield { frame: k * every, image, ...(timestampMs !== undefined ? { timestampMs } : {}) };
        k++;
      }
      const code = await Promise.race([exited, spawnError]);
      finished = true;
      if (code !== 0) throw new VideoDecodeError(`decoding failed after ${k} sampled frames: ${lastLines(log.errors) || `ffmpeg exited with ${code}`}`);
      if (strict && log.errors.trim()) throw damaged(log.errors, k);
      if (k === 0) throw new VideoDecodeError('no frame of the video could be decoded');
    } finally {
      if (!finished) child.kill('SIGKILL');
    }
  }
}
