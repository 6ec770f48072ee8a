import type { ClassColors } from './class-colors';
import type { BoxFilter } from './draw-boxes';

interface Props {
  /** Every class of the job, with its number of detections. */
  classes: readonly { name: string; detections: number }[];
  colors: ClassColors;
  filter: BoxFilter;
  onChange(filter: BoxFilter): void;
}

/** Which boxes the overlay draws: a checkbox per class and a minimum confidence. */
export function BoxFilters({ classes, colors, filter, onChange }: Props) {
  const toggle = (name: string, shown: boolean) => {
    const hidden = new Set(filter.hidden);
    if (shown) hidden.delete(name);
    else hidden.add(name);
    onChange({ ...filter, hidden });
  };
  return (
    <div class="filters">
      <fieldset class="class-filter">
        <legend>Classes</legend>
        {classes.length === 0 && <p class="muted">No objects were detected.</p>}
        {classes.map(({ name, detections }) => (
          <label key={name} class="class-option">
            <input type="checkbox" name="class" value={name} checked={!filter.hidden.has(name)} onChange={(e) => toggle(name, e.currentTarget.checked)} />
            <span class="swatch" style={{ background: colors.get(name) }} data-color={colors.get(name)} aria-hidden="true" />
            {name} <span class="muted">({detections})</span>
          </label>
        ))}
      </fieldset>
      <label class="conf-filter">
        <span>
          Minimum confidence <output>{filter.minConf.toFixed(2)}</output>
        </span>
        <input
          type="range"
          name="min-confidence"
          min="0"
          max="1"
          step="0.01"
          value={filter.minConf}
          onInput={(e) => onChange({ ...filter, minConf: Number(e.currentTarget.value) })}
        />
      </label>
    </div>
  );
}
