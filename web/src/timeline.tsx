import type { Segment } from './api';
import type { ClassColors } from './class-colors';
import { formatMs } from './format';

interface Props {
  classes: readonly string[];
  segments: readonly Segment[];
  durationMs: number;
  currentMs: number;
  colors: ClassColors;
  onSeek(ms: number): void;
}

const pct = (ms: number, of: number) => `${Math.min(100, Math.max(0, (100 * ms) / of))}%`;

/**
 * When each class is on screen: one lane per class, a bar per segment (a span of time in which
 * the class is seen). A bar is a button that seeks to its start; a click elsewhere on a lane seeks
 * to that time. A line marks the player's time.
 */
export function Timeline({ classes, segments, durationMs, currentMs, colors, onSeek }: Props) {
  if (!(durationMs > 0)) return null;
  const seekTo = (e: MouseEvent) => {
    const lane = e.currentTarget as HTMLElement;
    const r = lane.getBoundingClientRect();
    if (r.width > 0) onSeek(((e.clientX - r.left) / r.width) * durationMs);
  };
  return (
    <div class="timeline" role="group" aria-label="When each class appears">
      {classes.map((name) => (
        <div class="lane" key={name} data-class={name}>
          <span class="lane-name">{name}</span>
          <div class="lane-track" onClick={seekTo}>
            {segments
              .filter((s) => s.class === name)
              .map((s) => (
                <button
                  type="button"
                  class="segment"
                  key={`${s.start_ms}-${s.end_ms}`}
                  style={{ left: pct(s.start_ms, durationMs), width: pct(Math.max(s.end_ms - s.start_ms, 0), durationMs), background: colors.get(name) }}
                  title={`${name}: ${formatMs(s.start_ms)} – ${formatMs(s.end_ms)}`}
                  aria-label={`${name} from ${formatMs(s.start_ms)} to ${formatMs(s.end_ms)}: play from here`}
                  data-start-ms={s.start_ms}
                  onClick={(e) => {
                    e.stopPropagation();
                    onSeek(s.start_ms);
                  }}
                />
              ))}
            <span class="playhead" style={{ left: pct(currentMs, durationMs) }} aria-hidden="true" />
          </div>
        </div>
      ))}
      <div class="lane axis" aria-hidden="true">
        <span class="lane-name" />
        <div class="lane-track axis-track">
          <span>{formatMs(0)}</span>
          <span>{formatMs(durationMs)}</span>
        </div>
      </div>
    </div>
  );
}
