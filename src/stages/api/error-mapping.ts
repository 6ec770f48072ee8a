import { FramewiseError } from '../../core/errors.js';
import { isTransient } from '../../core/transient.js';

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  validation?: unknown;
  message: string;
}

/**
 * The one place where any error becomes a catalogue error, and so an HTTP answer: ours pass
 * through; the framework's and plugins' client errors get their catalogue code; anything else is
 * an internal error (500), whose details stay in the log.
 */
export function toFramewiseError(err: unknown): FramewiseError {
  if (err instanceof FramewiseError) return err;
  const e = (err ?? {}) as FastifyLikeError;
  if (e.validation) return new FramewiseError('ERR_REQUEST_INVALID', e.message);
  switch (e.code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new FramewiseError('ERR_UPLOAD_TOO_LARGE', '(configured)');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new FramewiseError('ERR_UPLOAD_NO_FILE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new FramewiseError('ERR_REQUEST_MEDIA_TYPE', e.message.replace(/^Unsupported Media Type:?\s*/i, ''));
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new FramewiseError('ERR_REQUEST_TOO_LARGE');
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new FramewiseError('ERR_REQUEST_INVALID', e.message);
  }
  // A database or object store outage: the client may retry; nothing it sent was wrong.
  if (isTransient(err)) return new FramewiseError('ERR_SERVICE_UNAVAILABLE');
  return new FramewiseError('ERR_SERVER_INTERNAL');
}
