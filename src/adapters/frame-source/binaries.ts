import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

const require = createRequire(import.meta.url);

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/**
 * Which ffmpeg/ffprobe to run: the configured path, else the system's (usually newer, with the
 * codecs the distribution enables), else the static build an npm package ships, so a fresh
 * `npm ci` works without root.
 */
export function resolveBinary(name: 'ffmpeg' | 'ffprobe', configured?: string): string {
  if (configured) return configured;
  const system = onPath(name);
  if (system) return system;
  const pkg = name === 'ffmpeg' ? '@ffmpeg-installer/ffmpeg' : '@ffprobe-installer/ffprobe';
  return (require(pkg) as { path: string }).path;
}

/**
 * util-linux's `prlimit`, which starts ffmpeg under memory and CPU limits: the configured path, else
 * the one on PATH, else `/usr/bin`'s or `/usr/sbin`'s; undefined where there is none (macOS, some
 * slim images) or the configured one cannot be run, and ffmpeg then runs without those limits.
 */
export function resolvePrlimit(configured?: string): string | undefined {
  for (const candidate of configured ? [configured] : [onPath('prlimit'), '/usr/bin/prlimit', '/usr/sbin/prlimit']) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}
