/** `processing_time_formatted`: `1h 02m 03.4s`, `2m 03.4s` or `3.4s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = (s % 60).toFixed(1);
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m ${rest.padStart(4, '0')}s`;
  if (m > 0) return `${m}m ${rest.padStart(4, '0')}s`;
  return `${rest}s`;
}

export function secondsBetween(from: Date, to: Date): number {
  return Math.round((to.getTime() - from.getTime()) / 10) / 100;
}
