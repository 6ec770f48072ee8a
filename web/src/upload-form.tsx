import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson, type ModelList } from './api';
import { DropZone } from './drop-zone';
import { uploadVideo, type JobOptions, type UploadHandle } from './upload';

const DEFAULTS: JobOptions = { model: '', sampling: 'every', samplingValue: '', confidence: '', iou: '', classes: '', annotate: false };

/**
 * The upload: a video (dropped or picked), the job's options, a progress bar while it is sent.
 * Empty options leave the server's defaults. `onUploaded` gets the new job's event id.
 */
export function UploadForm({ onUploaded }: { onUploaded(id: string): void }) {
  const [models, setModels] = useState<ModelList>();
  const [file, setFile] = useState<File>();
  const [options, setOptions] = useState<JobOptions>(DEFAULTS);
  /** The fraction of the last upload sent (kept after it ends, so the bar shows how it went). */
  const [progress, setProgress] = useState<number>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const upload = useRef<UploadHandle | undefined>(undefined);

  useEffect(() => {
    getJson<ModelList>('/api/models').then(
      (m) => {
        setModels(m);
        setOptions((o) => (o.model ? o : { ...o, model: m.default }));
      },
      (err: unknown) => setError(`Could not list the models: ${err instanceof Error ? err.message : String(err)}`),
    );
    return () => upload.current?.abort();
  }, []);

  /** The chosen model's defaults, shown where its thresholds are left empty. */
  const chosen = models?.models.find((m) => m.name === (options.model || models.default))?.defaults;
  const set = <K extends keyof JobOptions>(key: K, value: JobOptions[K]) => setOptions((o) => ({ ...o, [key]: value }));

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!file || busy) return;
    setError(undefined);
    setDone(undefined);
    setProgress(0);
    setBusy(true);
    upload.current = uploadVideo(file, options, setProgress);
    try {
      const id = await upload.current.done;
      setDone(`Uploaded ${file.name}: job ${id}`);
      setFile(undefined);
      onUploaded(id);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      upload.current = undefined;
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="upload-heading">
      <h2 id="upload-heading">Upload a video</h2>
      <form class="upload-form" onSubmit={submit}>
        <DropZone
          file={file}
          disabled={busy}
          onFile={(f) => {
            setFile(f);
            setProgress(undefined);
            setDone(undefined);
            setError(undefined);
          }}
        />
        <div class="options">
          <label>
            Model
            <select name="model" value={options.model} onChange={(e) => set('model', e.currentTarget.value)} disabled={!models}>
              {models?.models.map((m) => (
                <option key={m.name} value={m.name}>
                  {m.name}
                  {m.name === models.default ? ' (default)' : ''}
                </option>
              ))}
            </select>
          </label>
          <fieldset class="sampling">
            <legend>Sampling</legend>
            <label class="inline">
              <input type="radio" name="sampling" value="every" checked={options.sampling === 'every'} onChange={() => set('sampling', 'every')} /> every N
              frames
            </label>
            <label class="inline">
              <input type="radio" name="sampling" value="fps" checked={options.sampling === 'fps'} onChange={() => set('sampling', 'fps')} /> N frames per
              second
            </label>
            <label>
              N
              <input
                type="number"
                name="sampling-value"
                min={options.sampling === 'every' ? 1 : 0.01}
                step={options.sampling === 'every' ? 1 : 'any'}
                placeholder="server default"
                value={options.samplingValue}
                onInput={(e) => set('samplingValue', e.currentTarget.value)}
              />
            </label>
          </fieldset>
          <label>
            Confidence (0–1)
            <input
              type="number"
              name="confidence"
              min={0}
              max={1}
              step={0.01}
              placeholder={chosen ? `default ${chosen.confidence}` : 'server default'}
              value={options.confidence}
              onInput={(e) => set('confidence', e.currentTarget.value)}
            />
          </label>
          <label>
            IoU (0–1)
            <input
              type="number"
              name="iou"
              min={0}
              max={1}
              step={0.01}
              placeholder={chosen ? `default ${chosen.iou}` : 'server default'}
              value={options.iou}
              onInput={(e) => set('iou', e.currentTarget.value)}
            />
          </label>
          <label class="wide">
            Classes to keep
            <input
              type="text"
              name="classes"
              placeholder="all; or e.g. person, car"
              value={options.classes}
              onInput={(e) => set('classes', e.currentTarget.value)}
            />
          </label>
          <label class="inline wide">
            <input type="checkbox" name="annotate" checked={options.annotate} onChange={(e) => set('annotate', e.currentTarget.checked)} /> Also make an
            annotated video (boxes burnt in)
          </label>
        </div>
        <div class="actions">
          <button type="submit" disabled={!file || busy}>
            {busy ? 'Uploading…' : 'Upload'}
          </button>
          {busy && (
            <button type="button" class="secondary" onClick={() => upload.current?.abort()}>
              Cancel
            </button>
          )}
        </div>
        {progress !== undefined && (
          <div class="upload-progress">
            <progress max={1} value={progress} aria-label="Upload progress" />
            <span>{Math.round((progress ?? 0) * 100)}%</span>
          </div>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {done && (
          <p class="ok" role="status">
            {done}
          </p>
        )}
      </form>
    </section>
  );
}
