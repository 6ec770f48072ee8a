/**
 * CPU and memory of processes from /proc (Linux): what the bench reports per process.
 * `/proc/<pid>/stat` fields after the command name: utime and stime (the process's own CPU, all
 * its threads) are the 12th and 13th, cutime and cstime (its waited-for children: ffmpeg, ffprobe)
 * the 14th and 15th, in clock ticks (100 a second on Linux).
 */
import { readdir, readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';

const TICK_MS = 10;

export interface CpuSample {
  /** The process's own CPU, ms. */
  ownMs: number;
  /** Its waited-for children's CPU, ms. */
  childrenMs: number;
}

function parse(stat: string): CpuSample {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ownMs: (Number(f[11]) + Number(f[12])) * TICK_MS, childrenMs: (Number(f[13]) + Number(f[14])) * TICK_MS };
}

/** The CPU of `pid` so far (NaN where it is gone). */
export async function cpuOf(pid: number | 'self'): Promise<CpuSample> {
  try {
    return parse(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return { ownMs: Number.NaN, childrenMs: Number.NaN };
  }
}

export function cpuOfSelfSync(): CpuSample {
  return parse(readFileSync('/proc/self/stat', 'utf8'));
}

/** VmHWM (peak resident set) of a live process, in MB. */
export async function peakRssMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : Number.NaN;
}

/**
 * The CPU (ms) of `pid`'s live threads named `name` (`/proc/<pid>/task/<tid>/comm`): the detector
 * threads, named `fw-detector` by `serve.ts`. Threads that already exited are not in it.
 */
export async function threadsCpuMs(pid: number | undefined, name: string): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const tids = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  let total = 0;
  for (const tid of tids) {
    const comm = await readFile(`/proc/${pid}/task/${tid}/comm`, 'utf8').catch(() => '');
    if (comm.trim() !== name) continue;
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    if (stat) total += parse(stat).ownMs;
  }
  return total;
}
