import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import { resolveBinary } from '../adapters/frame-source/binaries.js';
import { ffmpegBuild } from '../adapters/frame-source/ffmpeg-build.js';

/**
 * Says at start which ffmpeg and ffprobe this process runs (path and version), and warns — once,
 * loudly — where one is unmaintained or the npm fallback (see `ffmpeg-build.ts`). Resolves with
 * what it found, for tests.
 */
export async function logFfmpeg(config: Pick<Config, 'ffmpegPath' | 'ffprobePath'>, log: Pick<Logger, 'info' | 'warn'>) {
  const builds = await Promise.all([ffmpegBuild(resolveBinary('ffmpeg', config.ffmpegPath)), ffmpegBuild(resolveBinary('ffprobe', config.ffprobePath))]);
  const [ffmpeg, ffprobe] = builds;
  log.info({ ffmpeg: { path: ffmpeg!.path, version: ffmpeg!.version }, ffprobe: { path: ffprobe!.path, version: ffprobe!.version } }, 'ffmpeg in use');
  for (const b of builds) if (b.warning) log.warn({ path: b.path, version: b.version }, b.warning);
  return builds;
}
