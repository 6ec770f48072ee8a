import { useState } from 'preact/hooks';
import { JobList } from './job-list';
import { KeyField } from './key-field';
import { UploadForm } from './upload-form';
import { useJobStatus } from './use-job-status';
import { useStatusAll } from './use-status-all';
import { Viewer } from './viewer';

/** The page: upload and job list on one side, the selected job on the other. */
export function App() {
  const jobs = useStatusAll();
  const [selected, setSelected] = useState<string>();
  /** Bumped when the API key changes: what was loaded with the old one is loaded again. */
  const [keyVersion, setKeyVersion] = useState(0);
  const live = useJobStatus(selected);
  const listed = jobs.data?.operations.find((o) => o.video_id === selected);
  return (
    <>
      <header class="top">
        <h1>Framewise</h1>
        <p class="muted">Video in, objects out: upload a video, watch its detection, replay it with the boxes.</p>
        <KeyField
          onChange={() => {
            setSelected(undefined);
            setKeyVersion((v) => v + 1);
            jobs.refresh();
          }}
        />
        <nav>
          <a href="/docs">API docs</a>
        </nav>
      </header>
      <main class="layout">
        <div class="side">
          <UploadForm
            key={keyVersion}
            onUploaded={(id) => {
              setSelected(id);
              jobs.refresh();
            }}
          />
          <JobList data={jobs.data} error={jobs.error} selected={selected} live={live?.event_id === selected ? live : undefined} onSelect={setSelected} />
        </div>
        {selected ? (
          <Viewer key={selected} id={selected} live={live?.event_id === selected ? live : undefined} listed={listed} />
        ) : (
          <section class="card viewer empty">
            <h2>Viewer</h2>
            <p class="muted">Upload a video or choose a job to see its detections here.</p>
          </section>
        )}
      </main>
    </>
  );
}
