import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientReason } from '../../src/core/client-reason.js';

test('reasons leave the server without its paths, hosts, addresses, object keys or memory addresses', () => {
  const cases: Array<[string, string]> = [
    // ffmpeg names the file it read (measured: the reason of a truncated upload).
    [
      'not a readable video: file:/tmp/fw-x/data/objects/videos/input/6f1c0b2a-1111-4222-8333-444455556666.mp4: Invalid data found when processing input',
      'not a readable video: a server file: Invalid data found when processing input',
    ],
    ['frame extraction failed: connect ECONNREFUSED 127.0.0.1:9000', 'frame extraction failed: connect ECONNREFUSED a server address'],
    ['frame extraction failed: getaddrinfo ENOTFOUND minio.internal.svc:9000', 'frame extraction failed: getaddrinfo ENOTFOUND a server address'],
    [
      "frame extraction failed: ENOENT: no such file or directory, open '/data/objects/videos/input/x.mp4'",
      "frame extraction failed: ENOENT: no such file or directory, open 'a server file'",
    ],
    [
      'the job could not be dispatched after 10 attempts: broker kafka-0.kafka:9092 unreachable (http://kafka-0:9092/x)',
      'the job could not be dispatched after 10 attempts: broker a server address unreachable (a server address)',
    ],
    ['connect ECONNREFUSED [::1]:27017', 'connect ECONNREFUSED a server address'],
    ['cannot read input/6f1c.mp4', 'cannot read a stored file'],
    ['h264 @ 0x55d4a1b2c3d0 Invalid NAL unit size', 'h264 @ Invalid NAL unit size'],
  ];
  for (const [raw, seen] of cases) assert.equal(clientReason(raw), seen);
});

test('what a reason says about the video itself stays', () => {
  for (const kept of [
    'the video is damaged: decoding errors near sampled frame 12 (40 error lines; first: h264: Invalid NAL unit size (12345 > 678))',
    'the video is 3840x2160, larger than the limit of 1920x1080; duration 00:10:00 over 600 s; aspect 16:9',
    'frame 35 could not be detected: model "yolov99" is not configured on this inference worker (it serves: nanodet-coco, centernet-coco)',
    'no frame result for 600 s after 3 re-drives: frames stopped arriving',
  ])
    assert.equal(clientReason(kept), kept);
});
