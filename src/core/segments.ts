/**
 * One long video as segments: time ranges that start on keyframes, each a unit of work any runner
 * can take, so N runners extract one video about N times as fast. A segment is the frames whose
 * presentation timestamp lies in [`fromPts`, `toPts`): together the segments are every frame, in
 * order, each once. Frame numbers and timestamps are those of an unsplit run: a segment's frames
 * are numbered on from `firstFrame`, the rank of its first frame in presentation order.
 *
 * What makes that exact: the video's index (`VideoIndex`, read from its packets without decoding)
 * lists every frame the decoder will output with its timestamp; a frame is sampled when its
 * number is a multiple of the job's step, so each segment knows the timestamps of the frames it
 * will sample (`sampledPts`), and its extraction checks every decoded frame against them — a
 * decoder that outputs other frames than the index promised (a damaged stream) fails the segment
 * loudly instead of numbering frames wrongly.
 */

/** A video's frames as its container lists them (see `FrameSource.index`). */
export interface VideoIndex {
  /** The stream's time base: a timestamp `pts` is `pts · num / den` seconds. */
  timeBase: { num: number; den: number };
  /**
   * What ffmpeg adds to every timestamp of an unsplit decode (it shifts the file's start time to
   * zero): a segment's raw timestamps plus this are the unsplit run's, to the unit.
   */
  ptsOffset: number;
  /** Every frame's timestamp, in presentation order (ascending). */
  pts: Float64Array;
  /** The positions in `pts` of the keyframes (ascending): where a segment may start. */
  keyframes: number[];
}

export interface SegmentPlan {
  /** 0-based; and how many the job has. */
  segment: number;
  segments: number;
  /** The number of the segment's first frame (among all decoded frames of the video). */
  firstFrame: number;
  /** Its frames: `fromPts` ≤ pts < `toPts` (null: to the end). */
  fromPts: number;
  toPts: number | null;
  /**
   * Where a decoder seeks to start it, in seconds from the video's start (as ffmpeg's `-ss` counts):
   * a microsecond past its keyframe, so the seek lands on that keyframe (0: no seek).
   */
  seekSeconds: number;
  /** The timestamps of the frames it samples, in order. */
  sampledPts: number[];
}

/** Seconds of a timestamp of `index`. */
export const ptsSeconds = (index: Pick<VideoIndex, 'timeBase'>, pts: number): number => (pts * index.timeBase.num) / index.timeBase.den;

/**
 * Milliseconds (µs precision) of a frame with raw timestamp `pts` as an unsplit decode reports it:
 * the raw timestamp shifted by `ptsOffset`, times the time base.
 */
export function frameTimeMs(index: Pick<VideoIndex, 'timeBase' | 'ptsOffset'>, pts: number): number {
  return Math.round(((pts + index.ptsOffset) * index.timeBase.num * 1e6) / index.timeBase.den) / 1e3;
}

/**
 * The segments of a video sampled every `every` frames, cut at the first keyframe at or after each
 * multiple of `segmentSeconds` from its first frame; one segment (the whole video) when it is not
 * at least two segments long or has no keyframe to cut at. `segmentSeconds` 0: never split.
 */
export function planSegments(index: VideoIndex, every: number, segmentSeconds: number): SegmentPlan[] {
  const { pts, keyframes } = index;
  const n = pts.length;
  const whole = (): SegmentPlan[] => [
    { segment: 0, segments: 1, firstFrame: 0, fromPts: n > 0 ? pts[0]! : 0, toPts: null, seekSeconds: 0, sampledPts: sampled(pts, 0, n, every) },
  ];
  if (segmentSeconds <= 0 || n === 0) return whole();
  const start = ptsSeconds(index, pts[0]!);
  const duration = ptsSeconds(index, pts[n - 1]!) - start;
  if (duration < 2 * segmentSeconds) return whole();
  // Cut points: positions in `pts` (the first frame, then a keyframe per segment length).
  const cuts = [0];
  let k = 0;
  for (let target = segmentSeconds; ; target += segmentSeconds) {
    while (k < keyframes.length && (keyframes[k]! <= cuts.at(-1)! || ptsSeconds(index, pts[keyframes[k]!]!) - start < target)) k++;
    if (k >= keyframes.length) break;
    cuts.push(keyframes[k]!);
    target = Math.max(target, ptsSeconds(index, pts[keyframes[k]!]!) - start);
  }
  if (cuts.length < 2) return whole();
  return cuts.map((from, i) => {
    const to = i + 1 < cuts.length ? cuts[i + 1]! : n;
    return {
      segment: i,
      segments: cuts.length,
      firstFrame: from,
      fromPts: pts[from]!,
      toPts: to < n ? pts[to]! : null,
      seekSeconds: i === 0 ? 0 : Math.max(0, Math.ceil(ptsSeconds(index, pts[from]! + index.ptsOffset) * 1e6 + 1) / 1e6),
      sampledPts: sampled(pts, from, to, every),
    };
  });
}

/** The timestamps of the frames in [from, to) whose number is a multiple of `every`. */
function sampled(pts: Float64Array, from: number, to: number, every: number): number[] {
  const out: number[] = [];
  for (let f = Math.ceil(from / every) * every; f < to; f += every) out.push(pts[f]!);
  return out;
}

/** The frame numbers a segment samples, in order (`firstFrame` on, multiples of `every`). */
export function sampledFrames(plan: Pick<SegmentPlan, 'firstFrame' | 'sampledPts'>, every: number): number[] {
  const first = Math.ceil(plan.firstFrame / every) * every;
  return plan.sampledPts.map((_, i) => first + i * every);
}
