/**
 * Which ffmpeg a process runs, said at start (path and version), and whether it is one to warn
 * about: ffmpeg parses every uploaded video, so an unmaintained build is an open door. The npm
 * fallback `@ffmpeg-installer/linux-x64` is a static build from 2018 (N-47683, 4.1-dev); a
 * distribution's ffmpeg (Debian 12: 5.1, security-maintained) is what `scripts/ffmpeg.sh` installs.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface FfmpegBuild {
  path: string;
  /** `5.1.9-0+deb12u1`, `N-47683-g0e8eb07980-static`, … (`unknown` if it did not say). */
  version: string;
  /** The last year of its copyright line: when it was built, near enough. */
  year: number | undefined;
  /** Why to warn about it, if there is a reason; absent: nothing to say. */
  warning?: string;
}

/** Builds older than this many years are unmaintained for our purpose (ffmpeg ships a release a year or more). */
export const MAX_AGE_YEARS = 3;

/** Reads `ffmpeg -version`'s first line: `ffmpeg version <version> Copyright (c) 2000-<year> …`. */
export function parseFfmpegVersion(path: string, firstLine: string, now = new Date()): FfmpegBuild {
  const version = /^ff(?:mpeg|probe) version (\S+)/.exec(firstLine)?.[1] ?? 'unknown';
  const yearText = /Copyright \(c\) \d{4}-(\d{4})/.exec(firstLine)?.[1];
  const year = yearText ? Number(yearText) : undefined;
  const bundled = /node_modules[\\/]@ff(?:mpeg|probe)-installer[\\/]/.test(path);
  const old = year !== undefined && now.getUTCFullYear() - year > MAX_AGE_YEARS;
  const reasons = [
    bundled ? 'the npm fallback build' : undefined,
    old ? `built in ${year}, unmaintained` : year === undefined ? 'of unknown age' : undefined,
  ].filter(Boolean);
  return {
    path,
    version,
    year,
    ...(bundled || old || year === undefined
      ? {
          warning: `ffmpeg ${version} (${reasons.join(', ')}) parses every uploaded video: install a maintained one (scripts/ffmpeg.sh installs the distribution's on Debian and Ubuntu) or set FFMPEG_PATH / FFPROBE_PATH`,
        }
      : {}),
  };
}

/** Runs `<path> -version` and reads it; a binary that does not answer is reported, not thrown. */
export async function ffmpegBuild(path: string): Promise<FfmpegBuild> {
  try {
    const { stdout } = await promisify(execFile)(path, ['-version'], { timeout: 10_000 });
    return parseFfmpegVersion(path, stdout.split('\n')[0] ?? '');
  } catch (err) {
    return { path, version: 'unknown', year: undefined, warning: `${path} -version failed: ${(err as Error).message}` };
  }
}
