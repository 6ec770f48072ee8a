import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFfmpegVersion } from '../../src/adapters/frame-source/ffmpeg-build.js';

const NOW = new Date('2026-12-07T00:00:00Z');

test("a distribution's current ffmpeg is named with its version and not warned about", () => {
  const b = parseFfmpegVersion('/usr/bin/ffmpeg', 'ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2025 the FFmpeg developers', NOW);
  assert.deepEqual(b, { path: '/usr/bin/ffmpeg', version: '5.1.9-0+deb12u1', year: 2025 });
});

test('the npm fallback (a 2018 static build) is warned about, with what to do', () => {
  const path = '/app/node_modules/@ffmpeg-installer/linux-x64/ffmpeg';
  const b = parseFfmpegVersion(
    path,
    'ffmpeg version N-47683-g0e8eb07980-static https://johnvansickle.com/ffmpeg/  Copyright (c) 2000-2018 the FFmpeg developers',
    NOW,
  );
  assert.equal(b.version, 'N-47683-g0e8eb07980-static');
  assert.equal(b.year, 2018);
  assert.match(
    b.warning ?? '',
    /the npm fallback build, built in 2018, unmaintained\) parses every uploaded video: install a maintained one \(scripts\/ffmpeg\.sh/,
  );
});

test('an old build anywhere, and one that does not say its age, are warned about too', () => {
  assert.match(parseFfmpegVersion('/opt/ffmpeg', 'ffmpeg version 4.2.7 Copyright (c) 2000-2022 the FFmpeg developers', NOW).warning ?? '', /built in 2022/);
  assert.equal(parseFfmpegVersion('/opt/ffmpeg', 'ffmpeg version 7.1 Copyright (c) 2000-2024 the FFmpeg developers', NOW).warning, undefined);
  assert.match(parseFfmpegVersion('/opt/ffprobe', 'something else', NOW).warning ?? '', /unknown.*of unknown age/);
});
