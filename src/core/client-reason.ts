/**
 * A failure reason as clients see it (a job's status and result, the `failed` webhook): the
 * problem, never where on the server it happened. Reasons are written by many hands — ffmpeg's
 * stderr names the file it read (`file:/…/objects/videos/input/<id>.mp4`), a dead-lettered error
 * may name a broker or a store (`connect ECONNREFUSED 10.0.3.7:9092`) — so they are scrubbed once,
 * where they leave the server. The full reason stays in the store and in the logs, for operators.
 *
 * Replaced: URLs (`scheme://…`), absolute paths and `file:` paths, object keys under `input/`,
 * `detection/` and `annotated/`, IPv4 and IPv6 addresses and `host:port` pairs, and memory
 * addresses (`0x7f…`).
 */

const PORT = String.raw`(?::\d{1,5})?`;
const RULES: ReadonlyArray<[RegExp, string]> = [
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"`,;)]+/gi, 'a server address'],
  [/(?:file:)?(?<![\w.])\/(?:[^\s/'"`:,;)]+\/)*[^\s/'"`:,;)]+\/?/g, 'a server file'],
  [/\b(?:[\w.-]+\/)*(?:input|detection|annotated)\/[\w.-]+/g, 'a stored file'],
  // IPv6: eight groups, or fewer around a `::` (so that times such as 00:10:00 stay).
  [
    new RegExp(
      String.raw`\[?(?<![\w:])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:)*[0-9a-f]{0,4}::(?:[0-9a-f]{1,4}:)*[0-9a-f]{0,4})\]?${PORT}(?![\w:])`,
      'gi',
    ),
    'a server address',
  ],
  [new RegExp(String.raw`\b(?:\d{1,3}\.){3}\d{1,3}${PORT}\b`, 'g'), 'a server address'],
  // host:port, the host with at least one letter (so that 12:30 stays).
  [/\b(?=[a-z0-9.-]*[a-z])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*:\d{2,5}\b/gi, 'a server address'],
  [/\blocalhost\b/gi, 'a server address'],
  [/\s*\b0x[0-9a-f]{6,}\b/gi, ''],
];

/** `reason` with every server path, address and key in it replaced by what it is (see above). */
export function clientReason(reason: string): string {
  let out = reason;
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  return out;
}
