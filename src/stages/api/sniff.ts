import { fileTypeFromBuffer } from 'file-type';
import { FramewiseError } from '../../core/errors.js';

/** Bytes read before deciding what an upload is: enough for every container signature file-type knows. */
export const SNIFF_BYTES = 4100;

export interface Sniffed {
  /** Detected media type, e.g. `video/mp4`; `application/octet-stream` when unknown. */
  mediaType: string;
  /** Detected extension, if known. */
  ext: string | undefined;
}

/**
 * Decides from an upload's first bytes whether it can be a video. Known non-video formats (images,
 * audio, documents, archives) and plain text are refused at once; unknown binary formats pass, and
 * the runner's decoder has the last word (the job then fails with the decoder's reason).
 */
export async function sniffVideo(head: Uint8Array): Promise<Sniffed> {
  if (head.length === 0) throw new FramewiseError('ERR_UPLOAD_EMPTY');
  const type = await fileTypeFromBuffer(head);
  if (type) {
    if (type.mime.startsWith('video/') || type.mime === 'application/x-matroska' || type.mime === 'application/mxf') {
      return { mediaType: type.mime, ext: type.ext };
    }
    const what = type.mime.startsWith('image/') ? 'a still image' : type.mime.startsWith('audio/') ? 'audio only' : 'a document or archive';
    throw new FramewiseError('ERR_UPLOAD_NOT_VIDEO', `${what} (${type.mime})`);
  }
  if (looksLikeText(head)) throw new FramewiseError('ERR_UPLOAD_NOT_VIDEO', 'plain text');
  return { mediaType: 'application/octet-stream', ext: undefined };
}

function looksLikeText(head: Uint8Array): boolean {
  const sample = head.subarray(0, 1024);
  let printable = 0;
  for (const b of sample) if (b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 128) printable++;
  if (printable < sample.length) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, Math.max(0, sample.length - 4)));
    return true;
  } catch {
    return false;
  }
}
