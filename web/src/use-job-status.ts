import { useEffect, useState } from 'preact/hooks';
import { getJson, isFinal, jobPath, statusEventsUrl, type JobStatus } from './api';

/** How often the fallback polls, when the event stream cannot be had. */
const POLL_MS = 1000;

/**
 * The live status of one job: from its event stream (`GET /api/status/{id}/events`, EventSource),
 * which the server closes after a final status. If the stream fails outright (an older server
 * without it, a proxy that buffers), it polls `GET /api/status/{id}` instead until a final status.
 * EventSource reconnects by itself after a dropped connection; closing it ourselves on a final
 * status keeps it from reconnecting to a stream that has ended.
 */
export function useJobStatus(id: string | undefined): JobStatus | undefined {
  const [status, setStatus] = useState<JobStatus>();
  useEffect(() => {
    setStatus(undefined);
    if (!id) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const abort = new AbortController();
    const poll = async () => {
      if (stopped) return;
      try {
        const s = await getJson<JobStatus>(`/api/status/${jobPath(id)}`, abort.signal);
        if (stopped) return;
        setStatus(s);
        if (isFinal(s.status)) return;
      } catch {
        /* try again */
      }
      if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
    };
    let es: EventSource | undefined;
    if (typeof EventSource === 'function') {
      es = new EventSource(statusEventsUrl(id));
      es.addEventListener('status', (e) => {
        try {
          const s = JSON.parse((e as MessageEvent<string>).data) as JobStatus;
          setStatus(s);
          if (isFinal(s.status)) es?.close();
        } catch {
          /* a malformed event: wait for the next */
        }
      });
      es.addEventListener('error', () => {
        // CLOSED: the stream was refused (not a reconnect in progress); fall back to polling.
        if (es?.readyState === EventSource.CLOSED && !stopped) {
          es = undefined;
          void poll();
        }
      });
    } else void poll();
    return () => {
      stopped = true;
      es?.close();
      abort.abort();
      clearTimeout(timer);
    };
  }, [id]);
  return status;
}
