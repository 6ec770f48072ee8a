/**
 * The bench's video: Debian opencv-doc's `vtest.avi` when it is installed (795 frames, 768×576, 10
 * fps: 159 sampled frames), else a 60-second clip looped from the test fixture (which is the first
 * 10 s of vtest.avi) with ffmpeg's `-stream_loop`, made once into ~/.cache/framewise-bench. Never
 * the 20-frame fixture itself: its start-up cost would dominate every ratio.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { resolveBinary } from '../src/adapters/frame-source/binaries.js';
import { ROOT } from '../scripts/cluster-local.js';

const run = promisify(execFile);

export const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
const FIXTURE = resolve(ROOT, 'test/fixtures/vtest-10s.mp4');

/** A clip of `seconds` (a multiple of 10) looped from the fixture, made once; its path. */
export async function loopedFixture(seconds = 60): Promise<string> {
  const dir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'framewise-bench');
  const file = join(dir, `vtest-loop-${seconds}s.mp4`);
  if (existsSync(file)) return file;
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp.mp4`;
  await run(resolveBinary('ffmpeg'), ['-v', 'error', '-y', '-stream_loop', String(seconds / 10 - 1), '-i', FIXTURE, '-c', 'copy', tmp]);
  await rename(tmp, file);
  return file;
}

/** The default video: vtest.avi if installed, else the looped fixture. */
export async function defaultVideo(): Promise<string> {
  return existsSync(VTEST) ? VTEST : loopedFixture(60);
}
