import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { getJson, type StatusAll } from './api';

/** How often the job list refreshes. */
const REFRESH_MS = 2000;

/**
 * Every job's status (`GET /api/status/all`), refreshed every 2 s while the page is visible, and
 * at once when `refresh()` is called (after an upload). `error` is set while the API is unreachable.
 */
export function useStatusAll(): { data: StatusAll | undefined; error: string | undefined; refresh(): void } {
  const [data, setData] = useState<StatusAll>();
  const [error, setError] = useState<string>();
  const inFlight = useRef(false);
  const load = useCallback(async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    try {
      setData(await getJson<StatusAll>('/api/status/all'));
      setError(undefined);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      inFlight.current = false;
    }
  }, []);
  useEffect(() => {
    void load();
    const timer = setInterval(() => {
      if (document.visibilityState !== 'hidden') void load();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);
  return { data, error, refresh: () => void load() };
}
