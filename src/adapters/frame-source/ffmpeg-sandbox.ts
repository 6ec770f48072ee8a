import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { VideoDecodeError } from '../../ports/frame-source.js';
import { resolvePrlimit } from './binaries.js';

const run = promisify(execFile);

/**
 * What ffmpeg and ffprobe may do with a video a client sent: the confinement every run of them on
 * client input gets (the frame source's probe and decode).
 *
 * - **Protocols**: only `file` and `pipe` (`-protocol_whitelist`; nested inputs inherit it), so no
 *   input can make ffmpeg fetch a URL.
 * - **Demuxers**: every demuxer of the binary except those that open other files or URLs named
 *   inside the input — playlists and manifests (HLS, DASH, IMF), concat lists, SDP/RTSP sessions,
 *   scripts — and capture devices (`-format_whitelist`). A playlist naming a local file (another
 *   job's video, `/etc/passwd`) is refused when its format is detected, before its demuxer reads a
 *   line of it: the protocol list alone would not stop that, `file` being allowed.
 * - **Resources**: address space and CPU time, through util-linux's `prlimit`, which sets them and
 *   then execs ffmpeg (same pid, so killing the child kills ffmpeg). Where there is no prlimit
 *   ffmpeg runs without them, and `warn` says so once.
 */

/** The protocols ffmpeg may open for input. */
export const INPUT_PROTOCOLS = 'file,pipe';

/** Demuxers that open what their input names (other files, URLs, devices, scripts): never allowed. */
export const NESTED_INPUT_DEMUXERS: ReadonlySet<string> = new Set([
  'hls',
  'applehttp',
  'dash',
  'imf',
  'concat',
  'sdp',
  'rtsp',
  'rtp',
  'avisynth',
  'vapoursynth',
  'dvdvideo',
  'lavfi',
]);

export interface ResourceLimits {
  /** Address space of each process, bytes (`prlimit --as`); 0 or absent: none. */
  memoryBytes?: number;
  /** CPU time of each process, seconds (`prlimit --cpu`): SIGXCPU past it; 0 or absent: none. */
  cpuSeconds?: number;
}

export interface SandboxOptions {
  limits?: ResourceLimits;
  /** prlimit to use (default: found on PATH or in /usr/bin). */
  prlimitPath?: string;
  /** Told once when limits are configured but cannot be applied. */
  warn?: (message: string) => void;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Signals a process dies of when an allocation fails under `--as` (static builds crash rather than report). */
const MEMORY_SIGNALS = new Set(['SIGSEGV', 'SIGBUS', 'SIGABRT']);
/** How errno ENOMEM (and EAGAIN, a thread whose stack cannot be mapped) reads in ffmpeg's messages. */
// The last: a dynamically linked ffmpeg (a distribution's) whose address-space limit is too small
// to map its own libraries fails in the loader, before main (`error while loading shared libraries:
// libavcodec.so.59: failed to map segment from shared object`).
const MEMORY_MESSAGES = /Cannot allocate memory|out of memory|Resource temporarily unavailable|failed to map segment from shared object/i;

const MiB = 1024 * 1024;

export class FfmpegSandbox {
  private readonly memoryBytes: number;
  private readonly cpuSeconds: number;
  private readonly allowLists = new Map<string, Promise<string>>();
  private prlimit: Promise<string | undefined> | undefined;

  constructor(private readonly opts: SandboxOptions = {}) {
    this.memoryBytes = Math.max(0, Math.floor(opts.limits?.memoryBytes ?? 0));
    this.cpuSeconds = Math.max(0, Math.ceil(opts.limits?.cpuSeconds ?? 0));
  }

  /**
   * Options to put before `-i`: the allowed protocols and demuxers. The demuxer list is the
   * binary's own (`-demuxers`, less devices and `NESTED_INPUT_DEMUXERS`), read once per binary.
   * Rejects with `VideoDecodeError` when the binary cannot be asked.
   */
  async inputOptions(binary: string): Promise<string[]> {
    let list = this.allowLists.get(binary);
    if (!list) {
      list = demuxerAllowList(binary);
      this.allowLists.set(binary, list);
      list.catch(() => this.allowLists.delete(binary));
    }
    return ['-protocol_whitelist', INPUT_PROTOCOLS, '-format_whitelist', await list];
  }

  /** The command that runs `binary args` under the limits; `cpuSeconds` lowers the CPU limit for this run. */
  async command(binary: string, args: string[], cpuSeconds?: number): Promise<{ file: string; args: string[] }> {
    const cpu = cpuSeconds !== undefined && this.cpuSeconds > 0 ? Math.min(this.cpuSeconds, Math.ceil(cpuSeconds)) : this.cpuSeconds;
    if (this.memoryBytes === 0 && cpu === 0) return { file: binary, args };
    const prlimit = await (this.prlimit ??= this.findPrlimit(binary));
    if (!prlimit) return { file: binary, args };
    const limits = [
      ...(this.memoryBytes > 0 ? [`--as=${this.memoryBytes}`] : []),
      // Soft below hard: the soft limit sends SIGXCPU, which says why; at the hard limit it is SIGKILL.
      ...(cpu > 0 ? [`--cpu=${cpu}:${cpu + 5}`] : []),
    ];
    return { file: prlimit, args: [...limits, '--', binary, ...args] };
  }

  /** Why a process ended, when its limits are the likely cause; undefined otherwise. */
  explain(exit: Exit, stderr: string, what = 'ffmpeg'): string | undefined {
    if (exit.signal === 'SIGXCPU') return `${what} used up its CPU time (limit ${this.cpuSeconds} s)`;
    const memory = this.memoryBytes > 0 ? ` (limit ${Math.round(this.memoryBytes / MiB)} MiB)` : '';
    if (this.memoryBytes > 0 && ((exit.signal && MEMORY_SIGNALS.has(exit.signal)) || (exit.code !== 0 && MEMORY_MESSAGES.test(stderr)))) {
      return `${what} ran out of memory${memory}`;
    }
    if (exit.signal === 'SIGKILL') return `${what} was killed (out of memory${memory} or CPU time)`;
    if (exit.signal) return `${what} crashed on this video (${exit.signal})`;
    return undefined;
  }

  /** prlimit, checked once: it exists and may set these limits here (it fails where they exceed a hard limit). */
  private async findPrlimit(binary: string): Promise<string | undefined> {
    const path = resolvePrlimit(this.opts.prlimitPath);
    const limits = `memory ${this.memoryBytes > 0 ? `${Math.round(this.memoryBytes / MiB)} MiB` : 'unlimited'}, CPU ${this.cpuSeconds > 0 ? `${this.cpuSeconds} s` : 'unlimited'}`;
    if (!path) {
      this.warnOnce(`prlimit (util-linux) not found: ffmpeg and ffprobe run without their resource limits (${limits}); install util-linux to apply them`);
      return undefined;
    }
    try {
      await run(path, [`--as=${this.memoryBytes || 'unlimited'}`, `--cpu=${this.cpuSeconds || 'unlimited'}`, '--', binary, '-version'], { timeout: 10_000 });
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? '');
      // Only prlimit's own failure counts: ffmpeg failing to start under a tiny limit is the limit working.
      if (/^prlimit:/m.test(stderr) || (err as { code?: unknown }).code === 'ENOENT') {
        this.warnOnce(
          `prlimit cannot apply ffmpeg's resource limits (${limits}): ${stderr.trim().split('\n')[0] ?? (err as Error).message}; ffmpeg runs without them`,
        );
        return undefined;
      }
    }
    return path;
  }

  private warned = false;
  private warnOnce(message: string): void {
    if (this.warned) return;
    this.warned = true;
    if (this.opts.warn) this.opts.warn(message);
    else process.emitWarning(message, 'FramewiseWarning');
  }
}

/** A `-demuxers` or `-devices` listing → the names, each alias apart (`mov,mp4,…` → `mov`, `mp4`, …). */
function listedNames(listing: string): string[] {
  const names: string[] = [];
  for (const line of listing.split('\n')) {
    // ` D  mov,mp4,m4a,3gp,3g2,mj2 QuickTime / MOV`, ` DE alsa …`, ` D d lavfi …` (a device column in newer builds).
    const m = /^\s?D[E. ]?[d. ]?\s+([a-z0-9_,]+)\s/i.exec(line);
    if (m) names.push(...m[1]!.split(','));
  }
  return names;
}

/** The demuxers `binary` has, less devices and those that open what their input names, comma-separated. */
async function demuxerAllowList(binary: string): Promise<string> {
  let demuxers: string;
  let devices: string;
  try {
    [{ stdout: demuxers }, { stdout: devices }] = await Promise.all([
      run(binary, ['-hide_banner', '-demuxers'], { timeout: 10_000, maxBuffer: 1024 * 1024 }),
      run(binary, ['-hide_banner', '-devices'], { timeout: 10_000, maxBuffer: 1024 * 1024 }),
    ]);
  } catch (err) {
    throw new VideoDecodeError(`cannot run ${binary}: ${(err as Error).message.split('\n')[0]}`);
  }
  const refused = new Set([...NESTED_INPUT_DEMUXERS, ...listedNames(devices)]);
  const allowed = [...new Set(listedNames(demuxers))].filter((name) => !refused.has(name));
  if (allowed.length === 0) throw new VideoDecodeError(`cannot read the demuxers of ${binary}`);
  return allowed.join(',');
}
