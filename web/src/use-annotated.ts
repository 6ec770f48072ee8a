import { useEffect, useState } from 'preact/hooks';
import { annotatedUrl, authHeaders } from './api';

export type AnnotatedState = 'none' | 'rendering' | 'available';

/** How often, and for how long, the page looks for an annotated video still being rendered. */
const POLL_MS = 2000;
const GIVE_UP_MS = 15 * 60_000;

/**
 * Whether a job's annotated MP4 can be downloaded: `none` if the job did not ask for one,
 * `rendering` until a HEAD request finds it (it may be written after the detections), then
 * `available`. Polling stops after 15 minutes.
 */
export function useAnnotated(id: string, asked: boolean): AnnotatedState {
  const [state, setState] = useState<AnnotatedState>(asked ? 'rendering' : 'none');
  useEffect(() => {
    if (!asked) return setState('none');
    setState('rendering');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const abort = new AbortController();
    const until = Date.now() + GIVE_UP_MS;
    const look = async () => {
      try {
        const res = await fetch(annotatedUrl(id), { method: 'HEAD', signal: abort.signal, headers: authHeaders() });
        if (res.ok) return setState('available');
      } catch {
        if (abort.signal.aborted) return;
      }
      if (Date.now() < until) timer = setTimeout(() => void look(), POLL_MS);
    };
    void look();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [id, asked]);
  return state;
}
