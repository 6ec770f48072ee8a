/**
 * The JSON the page reads from the Framewise API (same origin), typed after the API contract.
 * Fields that newer servers add (tracks, classes, segments, timestamp_ms, track_id) are optional
 * here: the page works, with less to show, against a server that does not send them yet.
 */

/** The server's own domain types (type-only imports: nothing of the server is bundled). */
import type { JobParameters, JobStatus as JobStatusName, VideoMetadata } from '../../src/core/job.js';
import type { ClassSummary, Segment, TrackSummary as Track } from '../../src/core/tracking/summary.js';
export type { ClassSummary, JobParameters, JobStatusName, Segment, Track, VideoMetadata };

export const isFinal = (s: JobStatusName | undefined): boolean => s === 'ready' || s === 'failed';

export interface ModelList {
  default: string;
  /** `defaults`: what a job of the model detects with when it leaves the thresholds empty. */
  models: { name: string; defaults?: { confidence: number; iou: number; class_agnostic_nms: boolean } }[];
}

export interface Operation {
  video_id: string;
  status_code: JobStatusName;
  status_description: string;
  processing_time_seconds: number;
  processing_time_formatted: string;
  reason?: string;
}

export interface StatusAll {
  operations: Operation[];
  total: number;
  counts: Record<string, number>;
}

/** `GET /api/status/{id}`, and each `status` event of its event stream. */
export interface JobStatus {
  event_id: string;
  status: JobStatusName;
  status_description: string;
  stage?: string;
  frames_done?: number;
  frames_total?: number | null;
  frames_expected?: number | null;
  percent?: number | null;
  eta_seconds?: number | null;
  processing_time_seconds?: number;
  processing_time_formatted?: string;
  reason?: string;
}

export type BoxTuple = [number, number, number, number];

export interface DetectedObject {
  class: string;
  box: BoxTuple;
  /** `box` as fractions (0–1) of the displayed width and height. */
  box_norm?: BoxTuple;
  conf: number;
  track_id?: number | null;
}

export interface FramePrediction {
  frame: number;
  timestamp_ms?: number;
  objects: DetectedObject[];
}

/** A ready job's result, every page of its prediction joined. */
export interface JobResult {
  status: 'ready';
  event_id: string;
  total_frames?: number;
  parameters?: JobParameters;
  model?: { name: string; sha256: string };
  video?: VideoMetadata;
  tracks?: Track[];
  classes?: ClassSummary[];
  segments?: Segment[];
  prediction: FramePrediction[];
  processing_time_seconds?: number;
  processing_time_formatted?: string;
}

interface ResultPage extends Omit<JobResult, 'status' | 'prediction'> {
  status: JobStatusName;
  prediction?: FramePrediction[];
  next_cursor?: string | null;
  reason?: string;
}

/** An error the API answered (`{"error":{"code","message"}}`), or a network failure. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The message of an API error body, else the HTTP status line. */
export function errorFromBody(status: number, statusText: string, body: string): ApiError {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: string; message?: string } };
    if (parsed.error?.message) return new ApiError(parsed.error.message, status, parsed.error.code);
  } catch {
    /* not JSON */
  }
  return new ApiError(`HTTP ${status} ${statusText}`.trim(), status);
}

/** Where the page keeps the API key the user gave (this browser only). */
const KEY_STORAGE = 'framewise.apiKey';

/** The API key the user gave, if any (storage may be unavailable: private modes, policies). */
export function storedKey(): string | undefined {
  try {
    return localStorage.getItem(KEY_STORAGE) || undefined;
  } catch {
    return undefined;
  }
}

export function storeKey(key: string | undefined): void {
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    /* kept for this page only */
  }
}

/**
 * `Authorization` for fetch and XHR. `EventSource` and `<video src>` cannot send it: they rely on
 * the session cookie `startSession` obtains (the server honours it on GET and HEAD only).
 */
export function authHeaders(): Record<string, string> {
  const key = storedKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** `POST /api/session`: who the key is; sets the HttpOnly session cookie (none if the server has no keys). */
export interface Session {
  authenticated: boolean;
  key_id: string;
  role: 'client' | 'admin';
  expires_at?: string;
}

export async function startSession(key: string): Promise<Session> {
  const res = await fetch('/api/session', { method: 'POST', headers: { accept: 'application/json', authorization: `Bearer ${key}` } });
  if (!res.ok) throw errorFromBody(res.status, res.statusText, await res.text());
  return (await res.json()) as Session;
}

/** Ends the session (clears its cookie); a failure leaves a cookie that expires by itself. */
export async function endSession(): Promise<void> {
  await fetch('/api/session', { method: 'DELETE' }).catch(() => undefined);
}

export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, { signal, headers: { accept: 'application/json', ...authHeaders() } });
  if (!res.ok) throw errorFromBody(res.status, res.statusText, await res.text());
  return (await res.json()) as T;
}

export const jobPath = (id: string) => encodeURIComponent(id);
export const videoUrl = (id: string) => `/api/video/${jobPath(id)}`;
export const annotatedUrl = (id: string) => `/api/result_video/${jobPath(id)}/annotated.mp4`;
export const statusEventsUrl = (id: string) => `/api/status/${jobPath(id)}/events`;

/** Pages a result asks for: long videos come in several, so no response is unbounded. */
const PAGE_LIMIT = 1000;

/**
 * A ready job's whole result: follows `next_cursor` until it is null (or absent: a server that does
 * not page sends everything at once). The summaries come with the first page.
 */
export async function fetchResult(id: string, signal?: AbortSignal): Promise<JobResult> {
  const base = `/api/result_video/${jobPath(id)}?limit=${PAGE_LIMIT}`;
  const first = await getJson<ResultPage>(base, signal);
  if (first.status !== 'ready') throw new ApiError(first.reason ?? `The job is ${first.status}, not ready`, 409);
  const prediction = [...(first.prediction ?? [])];
  const seen = new Set<string>();
  for (let cursor = first.next_cursor; cursor;) {
    // A cursor that repeats would loop forever: treat it as the end.
    if (seen.has(cursor)) break;
    seen.add(cursor);
    const page = await getJson<ResultPage>(`${base}&cursor=${encodeURIComponent(cursor)}`, signal);
    prediction.push(...(page.prediction ?? []));
    cursor = page.next_cursor;
  }
  const { next_cursor: _drop, ...rest } = first;
  return { ...rest, status: 'ready', prediction };
}
