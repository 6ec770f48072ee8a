/**
 * `framewise dead-letters`: an operator's view of the outboxes' dead letters, over the admin API
 * (`/api/admin/dead_letters`). The key (of role admin) comes from `--key`, FRAMEWISE_API_KEY or
 * FRAMEWISE_ADMIN_KEY; a server without keys answers loopback callers without one.
 */
export interface AdminOptions {
  url: string;
  key?: string;
}

interface DeadLetter {
  outbox: 'jobs' | 'results' | 'webhooks';
  event_id: string;
  event_type: string;
  attempts: number;
  last_error: string;
  dead_at: string;
}

async function call(opts: AdminOptions, method: string, path: string): Promise<unknown> {
  const headers: Record<string, string> = opts.key ? { authorization: `Bearer ${opts.key}` } : {};
  const r = await fetch(new URL(path, opts.url), { method, headers });
  const body = (await r.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!r.ok) throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${r.status}`);
  return body;
}

export async function listDeadLetters(opts: AdminOptions & { outbox?: string; limit?: string; json?: boolean }): Promise<void> {
  const q = new URLSearchParams();
  if (opts.outbox) q.set('outbox', opts.outbox);
  if (opts.limit) q.set('limit', opts.limit);
  const body = (await call(opts, 'GET', `/api/admin/dead_letters?${q}`)) as { dead_letters: DeadLetter[]; total: number };
  if (opts.json) {
    console.log(JSON.stringify(body, null, 2));
    return;
  }
  if (body.total === 0) {
    console.log('no dead letters');
    return;
  }
  console.log(`${'OUTBOX'.padEnd(8)} ${'EVENT ID'.padEnd(36)} ${'TYPE'.padEnd(16)} ${'TRIES'.padStart(5)}  ${'DEAD AT'.padEnd(24)} LAST ERROR`);
  for (const d of body.dead_letters) {
    console.log(
      `${d.outbox.padEnd(8)} ${d.event_id} ${d.event_type.padEnd(16)} ${String(d.attempts).padStart(5)}  ${d.dead_at.padEnd(24)} ${d.last_error.slice(0, 100)}`,
    );
  }
}

export async function actOnDeadLetter(action: 'replay' | 'discard', outbox: string, eventId: string, opts: AdminOptions): Promise<void> {
  if (outbox !== 'jobs' && outbox !== 'results' && outbox !== 'webhooks')
    throw new Error(`outbox must be "jobs", "results" or "webhooks", not ${JSON.stringify(outbox)}`);
  const path = `/api/admin/dead_letters/${outbox}/${encodeURIComponent(eventId)}`;
  await call(opts, action === 'replay' ? 'POST' : 'DELETE', action === 'replay' ? `${path}/replay` : path);
  console.log(`${action === 'replay' ? 'replayed' : 'discarded'} ${outbox}/${eventId}`);
}
