import { execFile } from 'node:child_process';
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
    '-v', 'error', '-y', '-i', FIXTURE, '-t', '1',
    ...(size ? ['-vf', `scale=${size.replace('x', ':')}`] : []),
    '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', file,
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
