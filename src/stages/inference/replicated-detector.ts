import type { Detector } from '../../ports/detector.js';

/**
 * One model served by several replicas (each its own thread and session): a call goes to the
 * replica with the fewest calls in flight (the first of them on a tie), so N replicas run N calls
 * at once. On a CPU, replicas of one thread each use the cores better than one session with a
 * thread per core (a small model's operators do not split evenly over threads); on a GPU one
 * replica is enough. All replicas must be the same model: `name` and `sha256` are the first's.
 * `close` closes every replica (each lets its accepted calls finish).
 */
export function replicatedDetector(replicas: readonly Detector[]): Detector {
  if (replicas.length === 0) throw new Error('a replicated detector needs at least one replica');
  if (replicas.length === 1) return replicas[0]!;
  const busy = replicas.map(() => 0);
  return {
    get name() {
      return replicas[0]!.name;
    },
    get sha256() {
      return replicas[0]!.sha256;
    },
    async detect(frames, options) {
      let pick = 0;
      for (let i = 1; i < replicas.length; i++) if (busy[i]! < busy[pick]!) pick = i;
      busy[pick]!++;
      try {
        return await replicas[pick]!.detect(frames, options);
      } finally {
        busy[pick]!--;
      }
    },
    async close() {
      await Promise.all(replicas.map((r) => r.close()));
    },
  };
}
