import type { Track } from './api';
import type { ClassColors } from './class-colors';
import { formatConf, formatMs } from './format';

interface Props {
  tracks: readonly Track[];
  colors: ClassColors;
  onSeek(ms: number): void;
}

/** More rows would slow the page down for little use; the API has them all. */
const MAX_ROWS = 1000;

/** One row per track (an object followed across frames); a row's button seeks to where it first appears. */
export function TrackTable({ tracks, colors, onSeek }: Props) {
  if (tracks.length === 0) return <p class="muted">No tracks.</p>;
  return (
    <div class="table-scroll">
      <table class="tracks">
        <caption>
          Tracks ({tracks.length}
          {tracks.length > MAX_ROWS ? `, the first ${MAX_ROWS} shown` : ''})
        </caption>
        <thead>
          <tr>
            <th scope="col">Track</th>
            <th scope="col">Class</th>
            <th scope="col">First seen</th>
            <th scope="col">Last seen</th>
            <th scope="col" class="num">
              Frames
            </th>
            <th scope="col" class="num">
              Best conf.
            </th>
          </tr>
        </thead>
        <tbody>
          {tracks.slice(0, MAX_ROWS).map((t) => (
            <tr key={t.track_id} data-track={t.track_id}>
              <td>
                <button type="button" class="link" onClick={() => onSeek(t.first_ms)} aria-label={`Play track ${t.track_id} from ${formatMs(t.first_ms)}`}>
                  #{t.track_id}
                </button>
              </td>
              <td>
                <span class="swatch" style={{ background: colors.get(t.class) }} aria-hidden="true" /> {t.class}
              </td>
              <td>{formatMs(t.first_ms)}</td>
              <td>{formatMs(t.last_ms)}</td>
              <td class="num">{t.frames_seen}</td>
              <td class="num">{formatConf(t.best_conf)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
