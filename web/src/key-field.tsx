import { useEffect, useState } from 'preact/hooks';
import { endSession, startSession, storedKey, storeKey, type Session } from './api';

/**
 * The API key: a small field in the header. The key is kept in this browser (localStorage) and
 * sent as `Authorization` on the page's requests; `POST /api/session` with it also sets the
 * HttpOnly session cookie that the job's event stream and video (which cannot send headers) use.
 * A stored key starts a new session when the page opens. `onChange` is told when the key changed.
 * (No form: the upload form's submit button stays the page's only one.)
 */
export function KeyField({ onChange }: { onChange(): void }) {
  const [draft, setDraft] = useState('');
  const [session, setSession] = useState<Session>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const use = async (key: string, fromField: boolean) => {
    setBusy(true);
    try {
      const s = await startSession(key);
      storeKey(key);
      setSession(s);
      setError(undefined);
      setDraft('');
      if (fromField) onChange();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    const key = storedKey();
    if (key) void use(key, false);
  }, []);

  const forget = async () => {
    storeKey(undefined);
    setSession(undefined);
    await endSession();
    onChange();
  };

  if (session?.authenticated) {
    return (
      <div class="key-field" aria-live="polite">
        <span>
          API key <strong>{session.key_id}</strong> <span class="muted">({session.role})</span>
        </span>
        <button type="button" class="secondary" onClick={() => void forget()}>
          Forget key
        </button>
      </div>
    );
  }
  return (
    <div class="key-field">
      <label>
        <span>API key</span>
        <input
          type="password"
          name="api-key"
          autocomplete="off"
          value={draft}
          placeholder={session && !session.authenticated ? 'not needed here' : 'Bearer key'}
          onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && draft.trim()) void use(draft.trim(), true);
          }}
        />
      </label>
      <button type="button" disabled={busy || !draft.trim()} onClick={() => void use(draft.trim(), true)}>
        Use key
      </button>
      {session && !session.authenticated ? <span class="muted">This server has no keys: access is open.</span> : null}
      {error ? (
        <span class="error" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}
