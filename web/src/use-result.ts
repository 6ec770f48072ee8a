import { useEffect, useState } from 'preact/hooks';
import { fetchResult, type JobResult } from './api';

export type ResultState = { state: 'idle' } | { state: 'loading' } | { state: 'loaded'; result: JobResult } | { state: 'error'; message: string };

/** A job's whole result, fetched (every page) once `ready` is true; a new id starts over. */
export function useResult(id: string | undefined, ready: boolean): ResultState {
  const [state, setState] = useState<ResultState>({ state: 'idle' });
  useEffect(() => {
    setState({ state: 'idle' });
  }, [id]);
  useEffect(() => {
    if (!id || !ready) return;
    const abort = new AbortController();
    setState({ state: 'loading' });
    fetchResult(id, abort.signal).then(
      (result) => setState({ state: 'loaded', result }),
      (err: unknown) => {
        if (!abort.signal.aborted) setState({ state: 'error', message: err instanceof Error ? err.message : String(err) });
      },
    );
    return () => abort.abort();
  }, [id, ready]);
  return state;
}
