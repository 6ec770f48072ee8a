/**
 * A colour per class: distinct, saturated colours (Sasha Trubetskoy's list), given out in the
 * order of the class list, so the classes of one video never share a colour until there are
 * more classes than colours.
 */
const PALETTE = [
  '#e6194b',
  '#3cb44b',
  '#4363d8',
  '#f58231',
  '#911eb4',
  '#42d4f4',
  '#f032e6',
  '#bfef45',
  '#ffe119',
  '#469990',
  '#9a6324',
  '#800000',
  '#808000',
  '#000075',
  '#fabed4',
  '#aaffc3',
] as const;

export type ClassColors = ReadonlyMap<string, string>;

export function classColors(classes: readonly string[]): ClassColors {
  return new Map(classes.map((c, i) => [c, PALETTE[i % PALETTE.length]!]));
}

/** The colour of a class the map does not know (a detection the summaries left out). */
export const FALLBACK_COLOR = '#ffffff';

/** Black or white, whichever reads better on `hex`. */
export function textColorOn(hex: string): string {
  const n = parseInt(hex.slice(1), 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? '#000000' : '#ffffff';
}
