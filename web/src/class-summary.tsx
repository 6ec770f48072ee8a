import type { ClassSummary } from './api';
import type { ClassColors } from './class-colors';
import { formatMs } from './format';

/** One row per class: its tracks, detections, most seen at once, and when it was first and last seen. */
export function ClassSummaryTable({ classes, colors }: { classes: readonly ClassSummary[]; colors: ClassColors }) {
  if (classes.length === 0) return null;
  return (
    <div class="table-scroll">
      <table class="class-summary">
        <caption>Classes</caption>
        <thead>
          <tr>
            <th scope="col">Class</th>
            <th scope="col" class="num">
              Tracks
            </th>
            <th scope="col" class="num">
              Detections
            </th>
            <th scope="col" class="num">
              Most at once
            </th>
            <th scope="col">First seen</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {classes.map((c) => (
            <tr key={c.class} data-class={c.class}>
              <td>
                <span class="swatch" style={{ background: colors.get(c.class) }} aria-hidden="true" /> {c.class}
              </td>
              <td class="num">{c.tracks}</td>
              <td class="num">{c.detections}</td>
              <td class="num">{c.max_at_once}</td>
              <td>{formatMs(c.first_ms)}</td>
              <td>{formatMs(c.last_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
