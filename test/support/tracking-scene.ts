import type { Box, DetectedObject } from '../../src/core/types.js';

/** A 50×120 box (a pedestrian) with its top-left corner at (x, y). */
export const person = (x: number, y = 100, w = 50, h = 120): Box => [x, y, x + w, y + h];
export const det = (box: Box, conf = 0.9, cls = 'person'): DetectedObject => ({ class: cls, box, conf });

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Position on a segment of length `span` of a point moving on a line and bouncing off both ends. */
export function bounce(p: number, span: number): number {
  const m = ((p % (2 * span)) + 2 * span) % (2 * span);
  return m < span ? m : 2 * span - m;
}

/**
 * A busy synthetic 1920×1080 scene: objects of three classes moving at constant speeds and bouncing
 * off the edges, at jittered timestamps, with missed and low-confidence detections.
 */
export function scene(seed: number, frames: number, objects: number): Array<[number, DetectedObject[]]> {
  const r = rng(seed);
  const classes = ['person', 'car', 'dog'];
  const things = Array.from({ length: objects }, (_, k) => ({
    cls: classes[k % 3]!,
    x: r() * 1920,
    y: r() * 1080,
    vx: (r() - 0.5) * 200,
    vy: (r() - 0.5) * 100,
    w: 30 + r() * 80,
    h: 40 + r() * 120,
  }));
  const out: Array<[number, DetectedObject[]]> = [];
  let ms = 0;
  for (let f = 0; f < frames; f++) {
    ms += 150 + r() * 100;
    const objs: DetectedObject[] = [];
    for (const t of things) {
      if (r() < 0.1) continue;
      const x = bounce(t.x + (t.vx * ms) / 1000, 1920 - t.w) + (r() - 0.5) * 4;
      const y = bounce(t.y + (t.vy * ms) / 1000, 1080 - t.h) + (r() - 0.5) * 4;
      objs.push(det([x, y, x + t.w, y + t.h], Math.round((0.15 + r() * 0.85) * 1e4) / 1e4, t.cls));
    }
    out.push([Math.round(ms), objs]);
  }
  return out;
}
