import { createRequire } from 'node:module';
import { FfmpegFrameSource } from '../../src/adapters/frame-source/ffmpeg.js';
import { resolveBinary } from '../../src/adapters/frame-source/binaries.js';
import { frameSourceContract, segmentedReads } from '../contracts/frame-source-contract.js';

/**
 * The ffmpeg frame source passes the FrameSource contract (`test/contracts/frame-source-contract.ts`)
 * three ways: with the system's ffmpeg (Debian's 5.1, which the code prefers), reading every video
 * in 3 s segments as the runner reads long ones, and with the static build the npm package ships
 * (the fallback where there is no system ffmpeg: 4.x, whose `-vsync` and error lines differ).
 * Its confinement, limits and stall timeout: `frame-source-hostile.test.ts`.
 */
const require = createRequire(import.meta.url);
const npmBuild = { ffmpegPath: (require('@ffmpeg-installer/ffmpeg') as { path: string }).path, ffprobePath: (require('@ffprobe-installer/ffprobe') as { path: string }).path };
const system = resolveBinary('ffmpeg') !== npmBuild.ffmpegPath;
const make = (extra: { ffmpegPath?: string; ffprobePath?: string } = {}) => (o: { tolerant: boolean }) => new FfmpegFrameSource({ decodeErrors: o.tolerant ? 'tolerate' : 'fail', ...extra });

frameSourceContract({ name: `ffmpeg (${system ? 'system' : 'npm build'})`, make: make(), segmentCases: true });
frameSourceContract({ name: 'ffmpeg, read in 3 s segments', make: (o) => segmentedReads(make()(o), 3), segmentCases: 'this variant reads in segments: the segment option’s cases run on the whole-read ones' });
if (system) frameSourceContract({ name: 'ffmpeg (npm build)', make: make(npmBuild), segmentCases: true });
