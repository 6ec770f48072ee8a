/** Formatting for people: times, percentages, confidences. */

/** `m:ss.t` (or `h:mm:ss` past an hour) from milliseconds. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const totalTenths = Math.max(0, Math.round(ms / 100));
  const tenths = totalTenths % 10;
  const seconds = Math.floor(totalTenths / 10) % 60;
  const minutes = Math.floor(totalTenths / 600) % 60;
  const hours = Math.floor(totalTenths / 36000);
  const ss = String(seconds).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${ss}` : `${minutes}:${ss}.${tenths}`;
}

/** Seconds left, roughly: `12 s`, `3 min 5 s`. */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

export const formatConf = (conf: number): string => conf.toFixed(2);

/** The first 8 characters of an event id: enough to tell jobs apart in a list. */
export const shortId = (id: string): string => id.slice(0, 8);
