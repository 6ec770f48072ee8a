import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { resolveBinary } from '../../src/adapters/frame-source/binaries.js';

const run = promisify(execFile);
export const FIXTURE = fileURLToPath(new URL('../fixtures/vtest-10s.mp4', import.meta.url));

/**
 * A one-second clip of the fixture (10 fps, so 10 frames), re-encoded with the project's ffmpeg,
 * optionally scaled to `size` (`1280x720`, `720x1280`). Written to `dir`; returns its path.
 */
export async function clipOfFixture(dir: string, name: string, size?: string): Promise<string> {
  const file = join(dir, name);
  await run(resolveBinary('ffmpeg'), [
    '-v',
    'error',
    '-y',
    '-i',
    FIXTURE,
    '-t',
    '1',
    ...(size ? ['-vf', `scale=${size.replace('x', ':')}`] : []),
    '-an',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    file,
  ]);
  return file;
}

/**
 * The fixture `times` times over, one after another (ffmpeg `-stream_loop`, streams copied: the
 * same frames, timestamps running on), into `dir`; returns its path. A long video from the fixture.
 */
export async function loopOfFixture(dir: string, name: string, times: number): Promise<string> {
  const file = join(dir, name);
  await run(resolveBinary('ffmpeg'), ['-v', 'error', '-y', '-stream_loop', String(times - 1), '-i', FIXTURE, '-c', 'copy', file]);
  return file;
}

/**
 * `source` with `length` bytes from `offset` overwritten by a fixed pattern (byte i becomes
 * i·13 mod 256), into `dir`; returns its path. Deterministic: the same bytes every run.
 */
export async function damagedCopy(dir: string, name: string, source: string, offset: number, length: number): Promise<string> {
  const bytes = Buffer.from(await readFile(source));
  for (let i = offset; i < offset + length && i < bytes.length; i++) bytes[i] = (i * 13) & 255;
  const file = join(dir, name);
  await writeFile(file, bytes);
  return file;
}

/**
 * `source` remuxed with its index first (`-movflags +faststart`, streams copied), then cut after
 * `share` of its bytes, into `dir`; returns its path: a truncated upload whose header still states
 * every frame while the file holds only the first ones.
 */
export async function truncatedCopy(dir: string, name: string, source: string, share: number): Promise<string> {
  const whole = join(dir, `whole-${name}`);
  await run(resolveBinary('ffmpeg'), ['-v', 'error', '-y', '-i', source, '-c', 'copy', '-movflags', '+faststart', whole]);
  const bytes = await readFile(whole);
  const file = join(dir, name);
  await writeFile(file, bytes.subarray(0, Math.floor(bytes.length * share)));
  return file;
}

/**
 * The damaged fixture: `vtest-10s.mp4` (100 frames, 10 fps) with bytes 200 000–259 999 of its
 * mdat overwritten (`damagedCopy`). Checked with Debian's ffmpeg 5.1 and the npm build (4.x):
 * frames 20–50 (2.0–5.0 s, 31 frames) never decode, frames 0–19 and 51–99 do.
 */
export const DAMAGED = { offset: 200_000, length: 60_000, firstBad: 20, lastBad: 50, fromMs: 2000, toMs: 5000 } as const;
export const damagedFixture = (dir: string, name = 'damaged.mp4') => damagedCopy(dir, name, FIXTURE, DAMAGED.offset, DAMAGED.length);
