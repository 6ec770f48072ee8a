import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent, fetch } from 'undici';
import { addressRange } from '../../core/public-address.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign } from '../../core/webhook-signature.js';
import { webhookBody, webhookEvent, type Notification } from '../../core/notification.js';

export interface WebhookCallOptions {
  /** HMAC key of `X-Framewise-Signature`; unset: calls go unsigned. */
  secret: string | undefined;
  /** Longest an attempt may take, answer included. */
  timeoutMs: number;
  /** Call loopback, private and other non-public addresses too (`FRAMEWISE_WEBHOOK_ALLOW_PRIVATE`); default: public ones only. */
  allowPrivate?: boolean;
}

const ALLOW_HINT = 'FRAMEWISE_WEBHOOK_ALLOW_PRIVATE=true allows it';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * `dns.lookup` keeping only public addresses. It runs inside the connection (undici hands it to
 * `net.connect`), so the address checked is the address called: no second resolution in between
 * for a DNS-rebinding receiver to answer differently.
 */
function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const kept = addresses.filter((a) => addressRange(a.address) === undefined);
    const first = addresses[0];
    if (!first || kept.length === 0) {
      return callback(
        new Error(
          `${hostname} resolves to ${first ? `${first.address}, a ${addressRange(first.address)} address` : 'no address'}, not a public one (${ALLOW_HINT})`,
        ),
        [],
      );
    }
    if (options.all) callback(null, kept);
    else callback(null, kept[0]!.address, kept[0]!.family);
  });
}

/** Connections for webhook calls when only public receivers may be called. */
const publicOnly = new Agent({ connect: { lookup: publicOnlyLookup as never } });

/**
 * A failed attempt, for the outbox engine to count and back off. Deliberately not an outage: the
 * receiver is the notification's own endpoint, so its being down or slow is this item's failure
 * (counted, backed off, dead-lettered), never a reason to hold back every other notification as
 * `isTransient` errors do. Hence no `code` or `cause`, and a message in words.
 */
export class WebhookDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookDeliveryError';
  }
}

/**
 * POSTs one notification (body and headers as docs/api/webhooks.md documents). Resolves
 * `delivered` on any 2xx and `gone` on 410 (the receiver asks us to stop: no retry); rejects with
 * `WebhookDeliveryError` on any other answer, a redirect (never followed: the signed body must go
 * where the client said), a network error or the timeout.
 */
export async function postWebhook(n: Notification, opts: WebhookCallOptions): Promise<'delivered' | 'gone'> {
  const payload = webhookBody(n);
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'Framewise-Webhook/1',
    [DELIVERY_HEADER]: payload.delivery_id,
    [EVENT_HEADER]: webhookEvent(n),
    [TIMESTAMP_HEADER]: String(timestamp),
    ...(opts.secret ? { [SIGNATURE_HEADER]: sign(opts.secret, timestamp, body) } : {}),
  };
  if (!opts.allowPrivate) {
    // An address literal is connected to without a lookup: checked here. Names go through `publicOnlyLookup`.
    const host = new URL(n.webhook_url).hostname;
    const range = addressRange(host);
    if (range) throw new WebhookDeliveryError(`the receiver's address ${host} is a ${range} address, not a public one (${ALLOW_HINT})`);
  }
  let status: number;
  try {
    const res = await fetch(n.webhook_url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs),
      ...(opts.allowPrivate ? {} : { dispatcher: publicOnly }),
    });
    status = res.status;
    await res.body?.cancel().catch(() => {}); // the answer's body is not read: free the connection
  } catch (err) {
    throw new WebhookDeliveryError(describeFailure(err, opts.timeoutMs));
  }
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 410) return 'gone';
  throw new WebhookDeliveryError(`the receiver answered HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`);
}

const PHRASES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'connection closed by the receiver',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

/** A failed call in words (no error codes: `isTransient` would read them as an outage of ours). */
function describeFailure(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const code = e?.cause?.code;
  if (code && PHRASES[code]) return `could not reach the receiver: ${PHRASES[code]}`;
  const detail = (e?.cause?.message ?? e?.message ?? String(err))
    .replace(/\b(E[A-Z_]+|UND_ERR_[A-Z_]+)\b/g, '')
    .replace(/socket hang up/gi, 'connection closed');
  return `could not reach the receiver: ${detail.trim() || 'network error'}`;
}
