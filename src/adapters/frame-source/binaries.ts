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
