import type { Box, TrackedObject } from '../types.js';

/** One track over the whole video. */
export interface TrackSummary {
  track_id: number;
  class: string;
  /** Frame numbers and timestamps (ms) of its first and last detection. */
  first_frame: number;
  last_frame: number;
  first_ms: number;
  last_ms: number;
  /** Sampled frames in which it was detected. */
  frames_seen: number;
  /** Its most confident detection (the earliest of equals): confidence, box and frame number. */
  best_conf: number;
  best_box: Box;
  best_frame: number;
}

/** One class over the whole video. */
export interface ClassSummary {
  class: string;
  /** Distinct track ids of the class. */
  tracks: number;
  /** Objects of the class in all frames, tracked or not. */
  detections: number;
  /** Most objects of the class in one frame. */
  max_at_once: number;
  /** Timestamps (ms) of the first and last frame with an object of the class. */
  first_ms: number;
  last_ms: number;
}

/**
 * A time span in which a class is present, like AWS Rekognition's `AggregateBy=SEGMENTS`.
 *
 * Rules (every sampled frame counts, including frames with no objects):
 * - A class is *present* on a sampled frame that has at least one object of it (tracked or not).
 * - A segment starts at the timestamp of a present frame that follows an absent one (or opens the
 *   video) and runs over the consecutive present frames.
 * - It ends at the timestamp of the next sampled frame where the class is absent: presence is assumed
 *   until a sample says otherwise. So segments of a class never touch or overlap.
 * - A segment still open after the last frame ends at the video's duration if known and not before
 *   the last timestamp; otherwise at the last timestamp plus the last interval between sampled
 *   frames (plus 0 when the video has a single sampled frame).
 * - `duration_ms` = `end_ms` − `start_ms`.
 */
export interface Segment {
  class: string;
  start_ms: number;
  end_ms: number;
  duration_ms: number;
}

export interface ResultSummaryData {
  /** Ascending by `track_id`. */
  tracks: TrackSummary[];
  /** Ascending by class name. */
  classes: ClassSummary[];
  /** Ascending by class name, then `start_ms`. */
  segments: Segment[];
}

/** One sampled frame as the summary reads it. */
export interface SummaryFrame {
  frame: number;
  timestamp_ms: number;
  objects: readonly TrackedObject[];
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Builds the per-track, per-class and segment summaries of a result in one pass over its sampled
 * frames. Memory grows with the number of tracks, classes and segments, not with the video's length.
 */
export class ResultSummary {
  private readonly tracks = new Map<number, TrackSummary>();
  private readonly classes = new Map<string, ClassSummary & { ids: Set<number> }>();
  private readonly segments: Segment[] = [];
  /** Class → start of its open segment. */
  private readonly open = new Map<string, number>();
  private lastMs: number | undefined;
  private lastIntervalMs = 0;

  /** Adds the next sampled frame; call it for every sampled frame in order, with objects or not. */
  add(f: SummaryFrame): void {
    const ms = f.timestamp_ms;
    const counts = new Map<string, number>();
    for (const o of f.objects) {
      counts.set(o.class, (counts.get(o.class) ?? 0) + 1);
      if (o.track_id === null) continue;
      const t = this.tracks.get(o.track_id);
      if (!t) {
        this.tracks.set(o.track_id, {
          track_id: o.track_id,
          class: o.class,
          first_frame: f.frame,
          last_frame: f.frame,
          first_ms: ms,
          last_ms: ms,
          frames_seen: 1,
          best_conf: o.conf,
          best_box: [...o.box],
          best_frame: f.frame,
        });
      } else {
        if (t.last_frame !== f.frame) t.frames_seen++;
        t.last_frame = f.frame;
        t.last_ms = ms;
        if (o.conf > t.best_conf) Object.assign(t, { best_conf: o.conf, best_box: [...o.box], best_frame: f.frame });
      }
      this.classOf(o.class, ms).ids.add(o.track_id);
    }
    for (const [cls, n] of counts) {
      const c = this.classOf(cls, ms);
      c.detections += n;
      c.max_at_once = Math.max(c.max_at_once, n);
      c.last_ms = ms;
      if (!this.open.has(cls)) this.open.set(cls, ms);
    }
    for (const [cls, start] of this.open) {
      if (counts.has(cls)) continue;
      this.segments.push({ class: cls, start_ms: start, end_ms: ms, duration_ms: ms - start });
      this.open.delete(cls);
    }
    if (this.lastMs !== undefined) this.lastIntervalMs = ms - this.lastMs;
    this.lastMs = ms;
  }

  private classOf(cls: string, ms: number): ClassSummary & { ids: Set<number> } {
    let c = this.classes.get(cls);
    if (!c) {
      c = { class: cls, tracks: 0, detections: 0, max_at_once: 0, first_ms: ms, last_ms: ms, ids: new Set() };
      this.classes.set(cls, c);
    }
    return c;
  }

  /**
   * The summaries so far (it may be called again after more frames). `videoDurationMs` (null when
   * unknown) ends the segments still open after the last frame; see {@link Segment}.
   */
  finish(videoDurationMs: number | null): ResultSummaryData {
    const last = this.lastMs ?? 0;
    const end = videoDurationMs !== null && videoDurationMs >= last ? videoDurationMs : last + this.lastIntervalMs;
    const segments = [...this.segments];
    for (const [cls, start] of this.open) segments.push({ class: cls, start_ms: start, end_ms: end, duration_ms: end - start });
    segments.sort((a, b) => byName(a.class, b.class) || a.start_ms - b.start_ms);
    return {
      tracks: [...this.tracks.values()].sort((a, b) => a.track_id - b.track_id).map((t) => ({ ...t, best_box: [...t.best_box] as Box })),
      classes: [...this.classes.values()].sort((a, b) => byName(a.class, b.class)).map(({ ids, ...c }) => ({ ...c, tracks: ids.size })),
      segments,
    };
  }
}
