/**
 * A partly damaged video: which of its frames the decoder could not give, and what the job makes
 * of it. Damage is found on the video's own timeline: the container's index (`VideoIndex`, read
 * without decoding) lists every frame with its timestamp, so a frame listed there that never
 * leaves the decoder is a damaged one — exact to the frame, whatever the frame rate, and not
 * dependent on the wording or timing of ffmpeg's error lines (which carry no timestamp).
 *
 * Invariant: a frame is counted damaged only when it is missing from the decode; frames the
 * decoder concealed (output with artefacts) are not missing, and are reported as a warning
 * without a range.
 */
import { frameTimeMs, type VideoIndex } from './segments.js';

/** The share of a job's sampled frames that may be damaged before the job fails (`FRAMEWISE_MAX_DAMAGED_SHARE`'s default). */
export const DEFAULT_MAX_DAMAGED_SHARE = 0.5;

/** A run of consecutive frames (on the index's timeline) that did not decode. */
export interface DamagedRange {
  /** Times of the first and the last frame of the run, ms from the video's start. */
  from_ms: number;
  to_ms: number;
  /** Frames of the run, and how many of them were to be sampled. */
  frames: number;
  sampled_frames: number;
}

/** What one read (a whole video or a segment) found damaged. */
export interface DamageReport {
  /** Sampled frames the read was to give, and how many of them it could not give. */
  sampled_expected: number;
  sampled_missing: number;
  ranges: DamagedRange[];
  /** The first decoding error ffmpeg logged (without addresses), for the warning's message. */
  first_error: string;
}

/** A warning of a result that is complete but for what it names. */
export interface ResultWarning {
  /** `damaged_frames`: the frames of a time range did not decode; `decode_errors`: errors reported, yet no frame missing (concealed, or the timeline unknown). */
  code: 'damaged_frames' | 'decode_errors';
  message: string;
  from_ms?: number;
  to_ms?: number;
  frames?: number;
}

/**
 * The runs of frames listed in `index` between positions `first` and `last` (inclusive) whose
 * timestamp is not among `decoded` (raw timestamps, as the index lists them, in ascending order).
 * `sampled(i)` says whether frame `i` was to be sampled. One merge of the two ascending lists:
 * nothing is allocated per frame.
 */
export function missingRanges(
  index: Pick<VideoIndex, 'pts' | 'timeBase' | 'ptsOffset'>,
  decoded: ArrayLike<number>,
  first: number,
  last: number,
  sampled: (i: number) => boolean,
): DamagedRange[] {
  const out: DamagedRange[] = [];
  let open: { from: number; to: number; sampled: number } | undefined;
  const close = () => {
    if (!open) return;
    out.push({
      from_ms: frameTimeMs(index, index.pts[open.from]!),
      to_ms: frameTimeMs(index, index.pts[open.to]!),
      frames: open.to - open.from + 1,
      sampled_frames: open.sampled,
    });
    open = undefined;
  };
  let j = 0;
  for (let i = first; i <= last; i++) {
    const pts = index.pts[i]!;
    while (j < decoded.length && decoded[j]! < pts) j++;
    if (j < decoded.length && decoded[j] === pts) {
      close();
      continue;
    }
    open ??= { from: i, to: i, sampled: 0 };
    open.to = i;
    if (sampled(i)) open.sampled++;
  }
  close();
  return out;
}

/**
 * The frames a container states beyond the end of its index (a truncated file lists only the
 * packets it holds, while its header states the whole count), as a damaged range with how many of
 * them were to be sampled (`i % every === 0`, the video's sampling grid). None for at most one:
 * a stated count may be an estimate (fps × duration).
 */
export function lostTail(
  index: Pick<VideoIndex, 'pts' | 'timeBase' | 'ptsOffset'>,
  stated: { frameCount?: number; fps?: number } | undefined,
  every: number,
): DamagedRange | undefined {
  const n = index.pts.length;
  const lost = stated?.frameCount && stated.fps && n > 0 ? stated.frameCount - n : 0;
  if (lost < 2) return undefined;
  const step = 1000 / stated!.fps!;
  const first = frameTimeMs(index, index.pts[n - 1]!) + step;
  let sampled = 0;
  for (let i = n; i < n + lost; i++) if (i % every === 0) sampled++;
  return { from_ms: Math.round(first * 1e3) / 1e3, to_ms: Math.round((first + (lost - 1) * step) * 1e3) / 1e3, frames: lost, sampled_frames: sampled };
}

/** `report` with `tail` (see `lostTail`) added: its range, and its sampled frames as expected and missing. */
export function withLostTail(report: DamageReport, tail: DamagedRange | undefined): DamageReport {
  if (!tail) return report;
  return {
    ...report,
    sampled_expected: report.sampled_expected + tail.sampled_frames,
    sampled_missing: report.sampled_missing + tail.sampled_frames,
    ranges: [...report.ranges, tail],
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const span = (r: DamagedRange) => (r.from_ms === r.to_ms ? seconds(r.from_ms) : `${seconds(r.from_ms)}–${seconds(r.to_ms)}`);

/**
 * What a job with damage reports makes of them: its warnings, or — when more than `maxShare` of
 * its sampled frames could not be decoded, or none could — the reason it fails. `sampledGiven` is
 * the job's count of sampled frames that did decode (its `total_frames`).
 */
export function damageVerdict(reports: readonly DamageReport[], sampledGiven: number, maxShare: number): { failure?: string; warnings: ResultWarning[] } {
  const ranges = reports.flatMap((r) => r.ranges).sort((a, b) => a.from_ms - b.from_ms);
  const missing = reports.reduce((n, r) => n + r.sampled_missing, 0);
  const expected = sampledGiven + missing;
  const warnings: ResultWarning[] = ranges.map((r) => ({
    code: 'damaged_frames',
    message: `${r.frames} frame${r.frames === 1 ? '' : 's'} at ${span(r)} could not be decoded (the video is damaged there); ${r.sampled_frames} of them were to be sampled and have no result`,
    from_ms: r.from_ms,
    to_ms: r.to_ms,
    frames: r.frames,
  }));
  const concealed = reports.find((r) => r.ranges.length === 0);
  if (concealed)
    warnings.push({
      code: 'decode_errors',
      message: `ffmpeg reported errors reading the video, but no frame of its timeline is missing; some may show artefacts (first: ${concealed.first_error})`,
    });
  const where = ranges.length
    ? `: damaged at ${ranges.slice(0, 5).map(span).join(', ')}${ranges.length > 5 ? ` and ${ranges.length - 5} more ranges` : ''}`
    : '';
  if (sampledGiven === 0 && missing > 0) return { failure: `no frame of the video could be decoded${where}`, warnings };
  const share = expected > 0 ? missing / expected : 0;
  if (share > maxShare) {
    return {
      failure: `the video is too damaged: ${missing} of ${expected} sampled frames (${(share * 100).toFixed(0)} %) could not be decoded, more than the allowed share of ${maxShare} (FRAMEWISE_MAX_DAMAGED_SHARE)${where}`,
      warnings,
    };
  }
  return { warnings };
}
