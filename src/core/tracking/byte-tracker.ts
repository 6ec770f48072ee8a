import munkres from 'munkres';
import type { Box, DetectedObject } from '../types.js';
import { BoxKalman } from './kalman.js';

export interface ByteTrackerOptions {
  /**
   * Detections at or above this confidence are matched first and may start tracks. Default 0.3.
   * ByteTrack's 0.5 (and 0.6 to start a track) suit YOLOX's scores; the bundled CenterNet scores
   * most true people 0.3–0.7. Measured on vtest-10s.mp4 (every 2nd frame; every 5th): ByteTrack's
   * values gave 9 tracks but ids to only 25 % (17 %) of detections; Ultralytics' 0.25/0.25 gave
   * ids to all but 45 (59) tracks, half of them one-frame; these defaults (0.3, 0.35, match IoU
   * 0.1, second-stage 0.3) gave 15 (23) tracks, mean 29.5 (7.7) frames, ids to 74 % (73 %).
   */
  highThreshold: number;
  /** Detections in [lowThreshold, highThreshold) may only continue tracks (stage 2); below, they are ignored. Default 0.1. */
  lowThreshold: number;
  /** An unmatched high detection starts a track only at or above this confidence. Default 0.35 (`highThreshold + 0.05`; ByteTrack's is + 0.1). */
  newTrackThreshold: number;
  /**
   * Stage 1 (high detections vs tracked and lost tracks) pairs need IoU above this with the track's
   * predicted box. Default 0.1 (ByteTrack's `match_thresh` 0.8 on the cost 1 − IoU is 0.2). Our frames are
   * sampled (every Nth decoded frame), so objects move further between observations than between
   * consecutive video frames, and a track's first prediction has no velocity yet: a stricter gate
   * mostly turns a moved object into a new id. Wrong pairings are kept rare by the optimal assignment
   * and by matching within a class only.
   */
  matchIou: number;
  /** Stage 2 (low detections vs still unmatched tracked tracks) pairs need IoU above this. Default 0.3 (ByteTrack: 0.5, for consecutive frames). */
  secondMatchIou: number;
  /**
   * A track not detected for longer than this is forgotten; an object seen again later gets a new id.
   * Default 2000 ms: ByteTrack keeps 30 frames at 30 fps (1 s), but with sampled frames 1 s may be only
   * one or two observations, while a pedestrian passing behind another (or a pillar) is typically hidden
   * for 1–2 s. Longer risks giving a returning id to a different object of the class.
   */
  maxLostMs: number;
}

export const DEFAULT_TRACKER_OPTIONS: Readonly<ByteTrackerOptions> = Object.freeze({
  highThreshold: 0.3,
  lowThreshold: 0.1,
  newTrackThreshold: 0.35,
  matchIou: 0.1,
  secondMatchIou: 0.3,
  maxLostMs: 2000,
});

interface Track {
  id: number;
  cls: string;
  kf: BoxKalman;
  /** The filter's box at the current frame's time. */
  predicted: Box;
  lost: boolean;
  /** Matched in the current frame. */
  matched: boolean;
  lastSeenMs: number;
}

/** Intersection over union of two `[x1, y1, x2, y2]` boxes (0 when they do not overlap). */
export function iou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

/**
 * ByteTrack (Zhang et al., 2022) over a job's sampled frames, online and deterministic: the same
 * frames in the same order give the same ids; memory holds only live (tracked or lost) tracks.
 *
 * Per frame: every track's Kalman filter is predicted to the frame's timestamp; stage 1 assigns
 * high-confidence detections to tracked and lost tracks by IoU with the predicted boxes; stage 2
 * assigns low-confidence detections to the tracked tracks still unmatched; tracked tracks left
 * unmatched become lost; unmatched high detections confident enough start tracks. Assignments are
 * optimal (Hungarian) and only within a class. Track ids are 1, 2, 3, … in birth order.
 */
export class ByteTracker {
  readonly options: Readonly<ByteTrackerOptions>;
  private tracks: Track[] = [];
  private nextId = 1;
  private lastMs: number | undefined;

  constructor(options: Partial<ByteTrackerOptions> = {}) {
    this.options = { ...DEFAULT_TRACKER_OPTIONS, ...options };
  }

  /** Tracks held now (tracked or lost). */
  get liveTracks(): number {
    return this.tracks.length;
  }

  /**
   * Tracks one frame's detections; frames must come in time order. Returns the track id of each
   * object, in input order; null for an object no track took (below `lowThreshold`, a low
   * detection matching no tracked track, or a high one below `newTrackThreshold` matching none).
   */
  update(objects: readonly DetectedObject[], timestampMs: number): Array<number | null> {
    const o = this.options;
    const ids: Array<number | null> = objects.map(() => null);
    const dt = this.lastMs === undefined ? 0 : (timestampMs - this.lastMs) / 1000;
    this.lastMs = Math.max(timestampMs, this.lastMs ?? timestampMs);
    this.tracks = this.tracks.filter((t) => timestampMs - t.lastSeenMs <= o.maxLostMs);
    for (const t of this.tracks) {
      t.kf.predict(dt);
      t.predicted = t.kf.box();
      t.matched = false;
    }
    const high: number[] = [];
    const low: number[] = [];
    objects.forEach((d, i) => {
      if (d.conf >= o.highThreshold) high.push(i);
      else if (d.conf >= o.lowThreshold) low.push(i);
    });

    const assign = (dets: number[], tracks: Track[], minIou: number) => {
      for (const [t, i] of associate(tracks, dets, objects, minIou)) {
        t.kf.update(objects[i]!.box);
        t.lost = false;
        t.lastSeenMs = timestampMs;
        t.matched = true;
        ids[i] = t.id;
      }
    };
    assign(high, this.tracks, o.matchIou);
    assign(
      low,
      this.tracks.filter((t) => !t.lost && !t.matched),
      o.secondMatchIou,
    );
    for (const t of this.tracks) if (!t.matched) t.lost = true;

    for (const i of high) {
      const d = objects[i]!;
      if (ids[i] !== null || d.conf < o.newTrackThreshold) continue;
      const kf = new BoxKalman(d.box);
      this.tracks.push({ id: this.nextId, cls: d.class, kf, predicted: kf.box(), lost: false, matched: true, lastSeenMs: timestampMs });
      ids[i] = this.nextId++;
    }
    return ids;
  }
}

/**
 * Optimal track–detection pairs, each of one class and with IoU above `minIou`: maximises the sum of
 * (IoU − minIou) over the pairs made — what ByteTrack's `lap.lapjv(cost, cost_limit)` minimises.
 * Only pairs above the gate can be made, so the problem splits into the connected groups of such
 * pairs (usually one track and one detection); each group is solved alone (Hungarian, `munkres`,
 * rectangular matrices allowed).
 */
function associate(tracks: readonly Track[], dets: readonly number[], objects: readonly DetectedObject[], minIou: number): Array<[Track, number]> {
  const edges: Array<{ r: number; c: number; gain: number }> = [];
  const boxes = dets.map((i) => objects[i]!.box);
  const classes = dets.map((i) => objects[i]!.class);
  for (let r = 0; r < tracks.length; r++) {
    const t = tracks[r]!;
    const [x1, , x2] = t.predicted;
    for (let c = 0; c < dets.length; c++) {
      const b = boxes[c]!;
      if (b[0] >= x2 || b[2] <= x1 || classes[c] !== t.cls) continue; // cheap rejections first
      const gain = iou(t.predicted, b) - minIou;
      if (gain > 0) edges.push({ r, c, gain });
    }
  }
  // Union-find over tracks (0…R−1) and detections (R…R+C−1).
  const parent: number[] = [];
  for (let i = 0; i < tracks.length + dets.length; i++) parent.push(i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  for (const e of edges) parent[find(e.r)] = find(tracks.length + e.c);
  const groups = new Map<number, typeof edges>();
  for (const e of edges) {
    const root = find(e.r);
    const g = groups.get(root);
    if (g) g.push(e);
    else groups.set(root, [e]);
  }
  const pairs: Array<[Track, number]> = [];
  for (const g of groups.values()) {
    if (g.length === 1) {
      pairs.push([tracks[g[0]!.r]!, dets[g[0]!.c]!]);
      continue;
    }
    const rows = [...new Set(g.map((e) => e.r))];
    const cols = [...new Set(g.map((e) => e.c))];
    const cost = rows.map(() => new Float64Array(cols.length)); // munkres minimises: cells hold −gain
    for (const e of g) cost[rows.indexOf(e.r)]![cols.indexOf(e.c)] = -e.gain;
    for (const [i, j] of munkres(cost)) {
      if (cost[i]![j]! < 0) pairs.push([tracks[rows[i]!]!, dets[cols[j]!]!]);
    }
  }
  return pairs;
}
