import type { Box } from '../types.js';

/**
 * Noise of the filter, as ByteTrack's (`std_weight_position` 1/20, `std_weight_velocity` 1/160 per
 * frame at 30 fps) turned into rates per second, so that uncertainty grows with the time elapsed,
 * not with the number of frames. All are variances in units of the box's size squared (x and w scale
 * with the box's width, y and h with its height).
 */
const NOISE = {
  /** Measurement: a detected box is off by about 1/20 of its size. */
  measure: (1 / 20) ** 2,
  /** A new track: position as uncertain as two measurements, velocity about ±2 sizes per second. */
  initPos: (2 / 20) ** 2,
  initVel: ((10 / 160) * 30) ** 2,
  /** Growth per second of position variance (30 × (1/20)²) and of velocity variance (30 × (30/160)²). */
  pos: 30 * (1 / 20) ** 2,
  vel: 30 * (30 / 160) ** 2,
};

/** One coordinate: position, velocity (per second) and covariance [[pp, pv], [pv, vv]]. */
interface Axis {
  p: number;
  v: number;
  pp: number;
  pv: number;
  vv: number;
}

/** [cx, cy, w, h] of a box. */
function centreSize(b: Box): [number, number, number, number] {
  return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, b[2] - b[0], b[3] - b[1]];
}

/**
 * Constant-velocity Kalman filter over one box, SORT/ByteTrack style, in continuous time.
 *
 * State: centre x, centre y, width, height (pixels; BoT-SORT's xywh form, where ByteTrack has aspect
 * ratio and height) and their velocities in pixels per **second**;
 * `predict(dtSeconds)` takes the time since the last predict, so frames may be sampled sparsely and
 * at irregular intervals (variable frame rate). The motion model, observation and noise of every
 * coordinate are independent of the others (ByteTrack's 8×8 matrices, reordered by coordinate, are
 * block-diagonal), so the filter is exactly four two-state filters — one per coordinate — with
 * 2×2 covariances.
 */
export class BoxKalman {
  private readonly axes: Axis[];

  constructor(box: Box) {
    this.axes = centreSize(box).map((p) => ({ p, v: 0, pp: 0, pv: 0, vv: 0 }));
    const sizes = this.sizes();
    for (let i = 0; i < 4; i++) {
      this.axes[i]!.pp = NOISE.initPos * sizes[i]!;
      this.axes[i]!.vv = NOISE.initVel * sizes[i]!;
    }
  }

  /** Size squared per coordinate: the width's for x and w, the height's for y and h (at least 1 px). */
  private sizes(): [number, number, number, number] {
    const w2 = Math.max(1, this.axes[2]!.p) ** 2;
    const h2 = Math.max(1, this.axes[3]!.p) ** 2;
    return [w2, h2, w2, h2];
  }

  /** Moves the state `dtSeconds` ahead (negative is treated as 0). */
  predict(dtSeconds: number): void {
    const dt = Math.max(0, dtSeconds);
    const sizes = this.sizes();
    for (let i = 0; i < 4; i++) {
      const a = this.axes[i]!;
      a.p += a.v * dt;
      a.pp += 2 * a.pv * dt + a.vv * dt * dt + NOISE.pos * sizes[i]! * dt;
      a.pv += a.vv * dt;
      a.vv += NOISE.vel * sizes[i]! * dt;
    }
  }

  /** Corrects the state with a detected box. */
  update(box: Box): void {
    const z = centreSize(box);
    const sizes = this.sizes();
    for (let i = 0; i < 4; i++) {
      const a = this.axes[i]!;
      const s = a.pp + NOISE.measure * sizes[i]!;
      const kp = a.pp / s;
      const kv = a.pv / s;
      const y = z[i]! - a.p;
      a.p += kp * y;
      a.v += kv * y;
      a.vv -= kv * a.pv;
      a.pv -= kp * a.pv;
      a.pp -= kp * a.pp;
    }
  }

  /** The current estimate as `[x1, y1, x2, y2]` (width and height at least 0). */
  box(): Box {
    const [x, y, w, h] = this.axes as [Axis, Axis, Axis, Axis];
    const hw = Math.max(0, w.p) / 2;
    const hh = Math.max(0, h.p) / 2;
    return [x.p - hw, y.p - hh, x.p + hw, y.p + hh];
  }

  /** Velocity of the centre, pixels per second. */
  velocity(): [number, number] {
    return [this.axes[0]!.v, this.axes[1]!.v];
  }
}
