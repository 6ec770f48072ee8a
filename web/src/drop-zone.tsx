import { useState } from 'preact/hooks';

interface Props {
  file: File | undefined;
  disabled: boolean;
  onFile(file: File): void;
}

/**
 * Where a video is chosen: dropped onto the zone, or picked with the file input inside it (the
 * whole zone is its label, so a click or the keyboard opens the picker).
 */
export function DropZone({ file, disabled, onFile }: Props) {
  const [over, setOver] = useState(false);
  const take = (files: FileList | null | undefined) => {
    const f = files?.[0];
    if (f && !disabled) onFile(f);
  };
  return (
    <label
      class={`dropzone${over ? ' over' : ''}${disabled ? ' disabled' : ''}`}
      data-testid="dropzone"
      onDragEnter={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragOver={(e) => {
        // Without preventDefault the browser would open the file instead of dropping it here.
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        take(e.dataTransfer?.files);
      }}
    >
      <input
        type="file"
        name="file"
        accept="video/*,.mp4,.mov,.mkv,.webm,.avi"
        class="visually-hidden"
        disabled={disabled}
        onChange={(e) => take(e.currentTarget.files)}
      />
      {file ? (
        <span>
          <strong class="file-name">{file.name}</strong> <span class="muted">({(file.size / 1e6).toFixed(1)} MB)</span>
          <br />
          <span class="muted">Drop another video or click to choose again</span>
        </span>
      ) : (
        <span>
          <strong>Drop a video here</strong>
          <br />
          <span class="muted">or click to choose a file</span>
        </span>
      )}
    </label>
  );
}
