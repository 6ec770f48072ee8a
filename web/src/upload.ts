import { ApiError, authHeaders, errorFromBody } from './api';

/** The per-job options of an upload, as the form holds them (empty: the server's default). */
export interface JobOptions {
  model: string;
  sampling: 'every' | 'fps';
  /** Every N decoded frames (`sample_every`), or about N frames per second (`sample_fps`). */
  samplingValue: string;
  confidence: string;
  iou: string;
  /** Class names to keep, comma-separated. */
  classes: string;
  annotate: boolean;
}

/**
 * The multipart form, fields first: the server reads the fields that came before the file and
 * streams the file itself, so a field after it would be lost. Empty options are left out.
 */
export function uploadForm(file: File, o: JobOptions): FormData {
  const form = new FormData();
  const add = (name: string, value: string) => {
    if (value.trim() !== '') form.append(name, value.trim());
  };
  add('model', o.model);
  add(o.sampling === 'fps' ? 'sample_fps' : 'sample_every', o.samplingValue);
  add('confidence', o.confidence);
  add('iou', o.iou);
  add(
    'classes',
    o.classes
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean)
      .join(','),
  );
  form.append('annotate', String(o.annotate));
  form.append('file', file, file.name);
  return form;
}

export interface UploadHandle {
  /** Resolves with the new job's event id; rejects with the API's message. */
  done: Promise<string>;
  abort(): void;
}

/**
 * Uploads with XMLHttpRequest, whose upload progress events fetch() does not offer.
 * `onProgress` gets the fraction sent (0–1).
 */
export function uploadVideo(file: File, options: JobOptions, onProgress: (fraction: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const done = new Promise<string>((resolve, reject) => {
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status < 200 || xhr.status >= 300) return reject(errorFromBody(xhr.status, xhr.statusText, xhr.responseText));
      try {
        const body = JSON.parse(xhr.responseText) as { event_id?: string };
        if (!body.event_id) throw new Error('no event_id');
        onProgress(1);
        resolve(body.event_id);
      } catch {
        reject(new ApiError('The server answered the upload with something unexpected', xhr.status));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError('The upload failed: the server could not be reached', 0)));
    xhr.addEventListener('abort', () => reject(new ApiError('The upload was cancelled', 0)));
  });
  xhr.open('POST', '/api/upload_video');
  xhr.setRequestHeader('accept', 'application/json');
  for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
  xhr.send(uploadForm(file, options));
  return { done, abort: () => xhr.abort() };
}
