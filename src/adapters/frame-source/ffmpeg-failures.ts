import { constants as osConstants } from 'node:os';
import { VideoDecodeError, type FrameReadOptions } from '../../ports/frame-source.js';
import type { FfmpegLog } from './ffmpeg-log.js';

// Why a read with ffmpeg failed, in words a client may read: no server paths or addresses.

export function lastLines(text: string, n = 3): string {
  return text.trim().split('\n').filter(Boolean).slice(-n).map(clean).join(' | ').slice(0, 500);
}

/** `[h264 @ 0x55d…] Invalid NAL unit size` → `h264: Invalid NAL unit size` (no addresses in reasons). */
export function clean(line: string): string {
  return line.replace(/^\[([\w,]+) @ 0x[0-9a-f]+\]\s*/, (_, who: string) => `${who.split(',')[0]}: `).trim();
}

export function noFrame(log: FfmpegLog): VideoDecodeError {
  return new VideoDecodeError(`no frame of the video could be decoded${log.firstError ? ` (first error: ${clean(log.firstError)})` : ''}`.slice(0, 600));
}

export function damaged(stderr: string, k: number): VideoDecodeError {
  const lines = stderr.trim().split('\n').filter(Boolean);
  return new VideoDecodeError(
    `the video is damaged: decoding errors near sampled frame ${k} (${lines.length} error lines; first: ${clean(lines[0] ?? '')})`.slice(0, 600),
  );
}

/** A segment's decode did not give the frames its index promised. */
export function segmentMismatch(
  segment: NonNullable<FrameReadOptions['segment']>,
  frame: number | undefined,
  got: number | undefined,
  want: number | undefined,
): VideoDecodeError {
  return new VideoDecodeError(
    `the video cannot be split at its keyframes: in segment ${segment.segment}, frame ${frame ?? '?'} decoded ${got === undefined ? 'missing' : `at timestamp ${got}`} where the container lists ${want === undefined ? 'no frame' : `timestamp ${want}`} (a damaged or unusual stream)`,
  );
}

/**
 * `[hls @ 0x…] Format not on whitelist …` → why the file is refused: its format opens what it
 * names (see `FfmpegSandbox`).
 */
export function refusedFormat(stderr: string): VideoDecodeError | undefined {
  const m = /\[([\w-]+)[\w,-]* @ 0x[0-9a-f]+\] Format not on whitelist/.exec(stderr);
  if (!m) return undefined;
  return new VideoDecodeError(`not a video: a ${m[1]} file (a playlist, manifest or list naming other files or URLs, which are never opened)`);
}

/** A signal's name from its number (`24` → `SIGXCPU` on Linux). */
export function signalName(n: number | undefined): NodeJS.Signals | undefined {
  return n === undefined ? undefined : (Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0] as NodeJS.Signals | undefined);
}
