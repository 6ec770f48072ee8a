import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { AnnotationRenderError, type AnnotationInput, type VideoAnnotator } from '../../ports/video-annotator.js';
import { assScript, FrameCursor, type FrameWindow } from './ass-script.js';
import { FfmpegSandbox } from '../frame-source/ffmpeg-sandbox.js';

/** The bundled DejaVu Sans (npm `dejavu-fonts-ttf`): labels look the same on every host, with no system fonts. */
const FONT_FILE = join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf', 'DejaVuSans.ttf');

/** Decoded frames per drawing process: bounds the detections libass holds (it reads a script whole). */
export const FRAMES_PER_WINDOW = 3000;

export interface RenderInput extends AnnotationInput {
  ffmpegPath: string;
  /** Decoded frames per drawing process (default `FRAMES_PER_WINDOW`). */
  framesPerWindow?: number;
  /** Memory and CPU limits of every ffmpeg process (the runner's: `FRAMEWISE_FFMPEG_MEMORY_MB`, `FRAMEWISE_FFMPEG_CPU_SECONDS`); default none. */
  sandbox?: FfmpegSandbox;
}

/** The VideoAnnotator on ffmpeg and libass (see `renderAnnotatedVideo`). */
export class FfmpegVideoAnnotator implements VideoAnnotator {
  constructor(
    private readonly ffmpegPath: string,
    private readonly framesPerWindow = FRAMES_PER_WINDOW,
    private readonly sandbox?: FfmpegSandbox,
  ) {}

  render(input: AnnotationInput): Promise<void> {
    return renderAnnotatedVideo({
      ...input,
      ffmpegPath: this.ffmpegPath,
      framesPerWindow: this.framesPerWindow,
      ...(this.sandbox ? { sandbox: this.sandbox } : {}),
    });
  }
}

/**
 * Renders the video with its detections drawn — a box in its class's colour and a label
 * "class #track conf" per object — as an H.264 MP4 (yuv420p, `+faststart`: browsers play it while
 * it downloads), no audio, constant frame rate at the video's average rate.
 *
 * How: libass draws (ffmpeg's `ass` filter: native speed, antialiased text in the bundled font),
 * from an ASS script of the detections (`assScript`). libass reads a script whole, so one script
 * for the whole video would hold every detection in memory; instead the decoded frames go in
 * windows of `framesPerWindow`, each through its own short-lived ffmpeg with its window's script:
 *
 *   ffmpeg decode (raw yuv420p) → Node → ffmpeg draw (window 1, then 2, …) → Node → ffmpeg encode
 *
 * Node only moves bytes, with backpressure; memory is one window's detections and a few pipe
 * buffers, whatever the video's length. One encoder makes one continuous stream.
 *
 * Frames are matched by number, not time: the decoder passes every frame through (no frame rate
 * conversion), so decoded frame n is the runner's frame n, and each window's script is keyed by
 * frame number (see `assScript`). So each decoded frame carries the boxes of the latest sampled
 * frame at or before it, exactly. ffmpeg applies the rotation on decode, so the frames are in
 * displayed pixels, like the boxes. A variable-frame-rate input comes out evenly paced, with the
 * same frames and about the same duration.
 */
export async function renderAnnotatedVideo(input: RenderInput): Promise<void> {
  const { video, signal } = input;
  signal?.throwIfAborted();
  const perWindow = input.framesPerWindow ?? FRAMES_PER_WINDOW;
  if (!Number.isSafeInteger(perWindow) || perWindow < 1) throw new RangeError(`framesPerWindow must be a positive integer, not ${perWindow}`);
  // Raw yuv420p needs even sizes: at most one black column or row is added, boxes unmoved.
  const width = video.width + (video.width % 2);
  const height = video.height + (video.height % 2);
  const frameBytes = (width * height * 3) / 2;
  const fps = frameRate(video);
  const output = resolve(input.outputPath);
  const work = await mkdtemp(join(tmpdir(), 'framewise-annotate-'));
  const procs = new Processes(input.ffmpegPath, work, signal, input.sandbox ?? new FfmpegSandbox());
  const cursor = new FrameCursor(input.frames);
  try {
    await mkdir(join(work, 'fonts'));
    await symlink(FONT_FILE, join(work, 'fonts', 'DejaVuSans.ttf'));
    // libass also asks fontconfig: give it this one font and nothing of the host's (no scan of
    // system fonts, no warnings from a static ffmpeg's older fontconfig about the host's config).
    await writeFile(
      join(work, 'fonts.conf'),
      `<?xml version="1.0"?>\n<fontconfig><dir>${xml(join(work, 'fonts'))}</dir><cachedir>${xml(join(work, 'fontcache'))}</cachedir></fontconfig>\n`,
    );
    const passthrough = await passthroughFlag(input.ffmpegPath);
    const raw = ['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`];

    const decoder = await procs.start('decoding the video', [
      '-i',
      `file:${resolve(input.videoPath)}`,
      '-map',
      '0:v:0',
      '-vf',
      `scale=${video.width}:${video.height},pad=${width}:${height}`,
      ...passthrough,
      ...raw,
      'pipe:1',
    ]);
    let encoder: Running | undefined;
    let drawing: Running | undefined;
    let window: FrameWindow = { start: 0, end: perWindow };
    let written = 0;

    /** Starts the drawing process of `window`, its output flowing on into the encoder. */
    const draw = async () => {
      await pipeline(Readable.from(assScript(video, window, cursor.window(window))), createWriteStream(join(work, 'window.ass')), { signal: procs.signal });
      encoder ??= await procs.start('encoding the MP4', [
        ...raw,
        '-framerate',
        `${fps.num}/${fps.den}`,
        '-i',
        'pipe:0',
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-crf',
        '23',
        '-pix_fmt',
        'yuv420p',
        '-movflags',
        '+faststart',
        '-f',
        'mp4',
        `file:${output}`,
      ]);
      const d = await procs.start('drawing the boxes', [
        ...raw,
        '-framerate',
        '100',
        '-i',
        'pipe:0',
        // Frame n of the window at n + ½ centiseconds, the script's clock (the ½ keeps float
        // rounding from moving a frame across a centisecond), then back to n for the output.
        '-vf',
        'settb=1/200,setpts=2*N+1,ass=filename=window.ass:fontsdir=fonts,settb=1/100,setpts=N',
        ...passthrough,
        ...raw,
        'pipe:1',
      ]);
      d.child.stdout!.pipe(encoder.child.stdin!, { end: false });
      return d;
    };
    /** Ends the drawing process once it has taken its frames, and waits for its output to reach the encoder. */
    const finishDrawing = async (d: Running) => {
      d.child.stdin!.end();
      await Promise.all([d.done, finished(d.child.stdout!, { signal: procs.signal })]);
    };

    for await (const chunk of decoder.child.stdout! as AsyncIterable<Buffer>) {
      let rest = chunk;
      while (rest.length > 0) {
        drawing ??= await draw();
        const room = (window.end - window.start) * frameBytes - written;
        const part = rest.subarray(0, room);
        rest = rest.subarray(part.length);
        written += part.length;
        if (!drawing.child.stdin!.write(part)) await once(drawing.child.stdin!, 'drain', { signal: procs.signal });
        if (written === (window.end - window.start) * frameBytes) {
          await finishDrawing(drawing);
          drawing = undefined;
          window = { start: window.end, end: window.end + perWindow };
          written = 0;
        }
      }
    }
    await decoder.done;
    if (drawing) await finishDrawing(drawing);
    if (written % frameBytes !== 0)
      throw new AnnotationRenderError(`the decoder's output ended inside a frame (${written % frameBytes} of ${frameBytes} bytes)`);
    if (!encoder) throw new AnnotationRenderError('no frame of the video could be decoded');
    encoder.child.stdin!.end();
    await encoder.done;
  } catch (err) {
    procs.fail(err);
    await procs.settled();
    await rm(output, { force: true });
    throw procs.failure ?? err;
  } finally {
    procs.close();
    await cursor.close().catch(() => {});
    await rm(work, { recursive: true, force: true });
  }
}

interface Running {
  child: ChildProcess;
  /** Resolves when it exits 0; else rejects (and fails the whole rendering). */
  done: Promise<void>;
}

/** The ffmpeg processes of one rendering: the first failure (or abort) kills them all. */
class Processes {
  private readonly running = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();
  private readonly onExternalAbort = () => this.fail(this.external?.reason);
  failure: unknown;

  constructor(
    private readonly ffmpeg: string,
    private readonly cwd: string,
    private readonly external: AbortSignal | undefined,
    private readonly sandbox: FfmpegSandbox,
  ) {
    external?.addEventListener('abort', this.onExternalAbort, { once: true });
  }

  /** Stops listening to the caller's signal (which may outlive this rendering). */
  close(): void {
    this.external?.removeEventListener('abort', this.onExternalAbort);
  }

  /** Aborted on the first failure: waits on pipes stop there. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  async start(what: string, args: string[]): Promise<Running> {
    this.abort.signal.throwIfAborted();
    // Each process has one input (the stored video, or a pipe): it may open nothing else, whatever
    // the video names (the frame source's confinement; the runner refused playlists already).
    // Under the runner's memory and CPU limits too, so a video that got past the runner cannot
    // make the publisher's renderer take the host's memory.
    const command = await this.sandbox.command(this.ffmpeg, ['-hide_banner', '-nostdin', '-v', 'error', '-y', '-protocol_whitelist', 'file,pipe', ...args]);
    this.abort.signal.throwIfAborted();
    const child = spawn(command.file, command.args, {
      cwd: this.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, FONTCONFIG_FILE: join(this.cwd, 'fonts.conf') },
    });
    // A process that died makes writes to it fail (EPIPE): its exit code tells why.
    child.stdin!.on('error', () => {});
    child.stdout!.on('error', () => {});
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      stderr = (stderr + d).slice(-8192);
    });
    const kill = () => child.kill('SIGKILL');
    this.abort.signal.addEventListener('abort', kill, { once: true });
    const done = new Promise<void>((resolvePromise, reject) => {
      child.once('error', (err) => reject(new AnnotationRenderError(`${what}: cannot run ffmpeg: ${err.message}`)));
      child.once('close', (code, sig) => {
        this.abort.signal.removeEventListener('abort', kill);
        if (code === 0) return resolvePromise();
        const last = stderr
          .trim()
          .split('\n')
          .filter(Boolean)
          .slice(-3)
          .join(' | ')
          .replace(/\[(\w+) @ 0x[0-9a-f]+\]\s*/g, '$1: ');
        const limit = this.sandbox.explain({ code, signal: sig }, stderr);
        reject(new AnnotationRenderError(`${what} failed: ${limit ?? (last || `ffmpeg exited with ${code ?? sig}`)}`.slice(0, 600)));
      });
    });
    const watched = done.catch((err: unknown) => this.fail(err));
    this.running.add(watched);
    void watched.finally(() => this.running.delete(watched));
    return { child, done };
  }

  fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    this.abort.abort(err);
  }

  /** Waits until every process has exited. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}

/** The output frame rate as a fraction: the video's average, NTSC rates exact; else from its frame count and duration; else 25. */
export function frameRate(video: RenderInput['video']): { num: number; den: number } {
  const measured = video.fps ?? (video.frame_count && video.duration_ms ? (video.frame_count * 1000) / video.duration_ms : undefined);
  const fps = measured && Number.isFinite(measured) && measured > 0 && measured <= 1000 ? measured : 25;
  const ntsc = Math.round((fps * 1001) / 1000);
  if (Math.abs((ntsc * 1000) / 1001 - fps) < 1e-3 && Math.abs(ntsc - fps) > 1e-3) return { num: ntsc * 1000, den: 1001 };
  return Math.abs(Math.round(fps) - fps) < 1e-3 ? { num: Math.round(fps), den: 1 } : { num: Math.round(fps * 1000), den: 1000 };
}

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const flags = new Map<string, Promise<string[]>>();
/** "Pass every frame through, never duplicate or drop": `-vsync` became `-fps_mode` in ffmpeg 5.1. */
function passthroughFlag(ffmpeg: string): Promise<string[]> {
  let flag = flags.get(ffmpeg);
  if (!flag) {
    flag = promisify(execFile)(ffmpeg, ['-hide_banner', '-version']).then(
      ({ stdout }) => {
        const m = /version n?(\d+)\.(\d+)/.exec(stdout);
        const modern = m && (Number(m[1]) > 5 || (Number(m[1]) === 5 && Number(m[2]) >= 1));
        return modern ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough'];
      },
      () => ['-vsync', 'passthrough'],
    );
    flags.set(ffmpeg, flag);
  }
  return flag;
}
