/**
 * The error catalogue: every error a client can see, with its stable code and HTTP status.
 * Codes are `ERR_<AREA>_<PROBLEM>`; the HTTP edge maps `FramewiseError` to
 * `{"error":{"code","message"}}` with `status` — nowhere else knows about HTTP.
 */
export const ERRORS = {
  ERR_REQUEST_INVALID: { status: 400, message: 'Invalid request: %s' },
  ERR_REQUEST_MEDIA_TYPE: { status: 415, message: 'Unsupported Content-Type: %s' },
  ERR_REQUEST_TOO_LARGE: { status: 413, message: 'Request body too large' },
  ERR_JOB_ID_MALFORMED: { status: 400, message: 'Malformed event id %s: expected a UUID' },
  ERR_JOB_NOT_FOUND: { status: 404, message: 'No job with event id %s' },
  ERR_ROUTE_NOT_FOUND: { status: 404, message: 'No route %s' },
  ERR_UPLOAD_NO_FILE: { status: 400, message: 'Upload needs a multipart/form-data body with a file in field "file"' },
  ERR_UPLOAD_EMPTY: { status: 400, message: 'The uploaded file is empty' },
  ERR_UPLOAD_NOT_VIDEO: { status: 415, message: 'The uploaded file is not a video: %s' },
  ERR_UPLOAD_TOO_LARGE: { status: 413, message: 'The upload exceeds the limit of %s bytes' },
  ERR_UPLOAD_INTERRUPTED: { status: 400, message: 'The upload ended before the file was complete' },
  ERR_VIDEO_TOO_LONG: { status: 422, message: 'The video lasts %s s, over the limit of %s s' },
  ERR_VIDEO_RESOLUTION_TOO_HIGH: { status: 422, message: 'The video is %s pixels, over the limit of %s (either orientation)' },
  ERR_VIDEO_TOO_MANY_FRAMES: { status: 422, message: 'The video has %s frames, over the limit of %s' },
  ERR_RATE_LIMITED: { status: 429, message: 'Too many requests: the limit is %s per minute; retry in %s s' },
  ERR_IDEMPOTENCY_KEY_MALFORMED: { status: 400, message: 'Idempotency-Key must be 1 to 255 printable ASCII characters' },
  ERR_DEAD_LETTER_NOT_FOUND: { status: 404, message: 'No dead letter %s' },
  ERR_AUTH_REQUIRED: { status: 401, message: 'This route needs an API key: send Authorization: Bearer <key>' },
  ERR_AUTH_KEY_INVALID: { status: 401, message: 'The API key is not valid' },
  ERR_AUTH_SESSION_INVALID: { status: 401, message: 'The session cookie is not valid or has expired: POST /api/session with the API key again' },
  ERR_AUTH_FORBIDDEN: { status: 403, message: 'Admin route: the key %s has the role client' },
  ERR_AUTH_ADMIN_ONLY: { status: 403, message: 'Admin routes answer loopback clients only while no API key is configured' },
  ERR_JOB_CLEANED_UP: { status: 409, message: 'A cleanup of all jobs removed this job as it was being created: send it again' },
  ERR_LIMIT_ACTIVE_JOBS: {
    status: 429,
    message: 'The key %s has %s unfinished jobs; the limit is %s (FRAMEWISE_MAX_ACTIVE_JOBS_PER_KEY): retry once one has ended',
  },
  ERR_OBJECT_NOT_FOUND: { status: 404, message: 'No object %s in bucket %s' },
  ERR_VIDEO_NOT_FOUND: { status: 404, message: 'The video of job %s is no longer stored' },
  ERR_ANNOTATION_NOT_FOUND: { status: 404, message: 'No annotated video for job %s: %s' },
  ERR_RANGE_NOT_SATISFIABLE: { status: 416, message: 'Range %s is not satisfiable: the object has %s bytes' },
  ERR_OPTION_INVALID: { status: 400, message: 'Invalid job option %s' },
  ERR_RESULT_QUERY_INVALID: { status: 400, message: 'Invalid result query: %s' },
  ERR_MODEL_UNKNOWN: { status: 400, message: 'Unknown model %s: this server has %s' },
  ERR_BUCKET_UNKNOWN: { status: 400, message: 'Bucket %s is not allowed: requests may name %s' },
  ERR_SERVICE_UNAVAILABLE: { status: 503, message: 'A storage service is unreachable; try again shortly' },
  ERR_WEB_NOT_BUILT: { status: 503, message: 'The web page is not built (no %s): run npm run build, then restart the server' },
  ERR_SERVER_INTERNAL: { status: 500, message: 'Internal error; the server logged the details' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class FramewiseError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    ...args: Array<string | number>
  ) {
    let i = 0;
    super(ERRORS[code].message.replace(/%s/g, () => String(args[i++] ?? '')));
    this.name = 'FramewiseError';
    this.status = ERRORS[code].status;
  }
}

export function toErrorBody(err: FramewiseError): { error: { code: string; message: string } } {
  return { error: { code: err.code, message: err.message } };
}
