import type { FrameReadOptions, VideoInfo } from '../../ports/frame-source.js';
import type { VideoIndex } from '../../core/segments.js';
import { lostTail, missingRanges, withLostTail, type DamageReport } from '../../core/damage.js';
import type { FfmpegLog } from './ffmpeg-log.js';
import { clean } from './ffmpeg-failures.js';

/**
 * The number of the frame with logged timestamp `pts`: its place in `index`. An unsplit read's
 * timestamps are shifted by the index's `ptsOffset` (`shift` undefined); a segment's are raw (0).
 */
export function placeOf(index: VideoIndex | undefined, pts: number | undefined, shift: number | undefined): number | undefined {
  if (!index || pts === undefined) return undefined;
  const i = binarySearch(index.pts, pts - (shift ?? index.ptsOffset));
  return i >= 0 ? i : undefined;
}

/** The first place in `sorted` whose value is at least `v`. */
export function lowerBound(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The damage of a tolerant read that gave `given` sampled frames: the frames of its range in the
 * index that never decoded. A read stopped after its last sampled frame (`ranToEnd` false) knows
 * nothing of the frames after the last decoded one, and counts none of them. Without an index
 * (a stream without timestamps) only the errors are known.
 */
export function damageReport(
  index: VideoIndex | undefined,
  log: FfmpegLog,
  every: number,
  given: number,
  segment: FrameReadOptions['segment'],
  ranToEnd: boolean,
  stated?: VideoInfo,
): DamageReport {
  const first_error = clean(log.firstError).slice(0, 300);
  if (!index) return withLostTail({ sampled_expected: given, sampled_missing: 0, ranges: [], first_error }, segment?.lostTail);
  const shift = segment ? 0 : index.ptsOffset;
  const decoded = log.decodedAscending(shift);
  const n = index.pts.length;
  const from = segment ? lowerBound(index.pts, segment.fromPts) : 0;
  let to = (segment && segment.toPts !== null ? lowerBound(index.pts, segment.toPts) : n) - 1;
  if (!ranToEnd) {
    // The latest decoded frame the index lists (both ascending: the first found from the end).
    let lastDecoded = -1;
    for (let i = decoded.length - 1; i >= 0 && lastDecoded < 0; i--) lastDecoded = binarySearch(index.pts, decoded[i]!);
    to = Math.min(to, lastDecoded);
  }
  const ranges = missingRanges(index, decoded, from, to, (i) => i % every === 0);
  const expected = segment ? segment.sampledPts.length : Math.ceil(n / every);
  // A whole read's tail the index lacks; a segmented job's last segment is told its own (`lostTail` in the segment).
  return withLostTail(
    { sampled_expected: expected, sampled_missing: Math.max(0, expected - given), ranges, first_error },
    segment ? segment.lostTail : lostTail(index, stated, every),
  );
}

export function binarySearch(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < v) lo = mid + 1;
    else if (sorted[mid]! > v) hi = mid - 1;
    else return mid;
  }
  return -1;
}
