/**
 * What an Ultralytics export says about itself in its ONNX metadata (`names`, `imgsz`, `end2end`),
 * and class names from a labels file.
 */
import { readFile } from 'node:fs/promises';
import { parsePythonLiteral } from './python-literal.js';

/** Class names from the `names` metadata: a dict `{0: 'person', …}` or a list `['person', …]`. */
export function parseNames(text: string): string[] {
  const v = parsePythonLiteral(text);
  if (Array.isArray(v) && v.every((n) => typeof n === 'string')) return v as string[];
  if (!(v instanceof Map)) throw new Error('names is neither a dict nor a list of strings');
  const names: string[] = [];
  for (const [k, n] of v) {
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || typeof n !== 'string') {
      throw new Error(`names entry ${String(k)}: ${String(n)} is not index: 'name'`);
    }
    names[k] = n;
  }
  // A gap in the indices gets the same fallback name as an index past the end.
  return Array.from(names, (n, i) => n ?? className([], i));
}

/** The model input size `imgsz` (`[h, w]` or one side) as height × width; undefined if absent or odd. */
export function parseImgsz(text: string | undefined): { height: number; width: number } | undefined {
  if (text === undefined) return undefined;
  try {
    const v = parsePythonLiteral(text);
    const [h, w] = Array.isArray(v) ? (v.length === 1 ? [v[0], v[0]] : v) : [v, v];
    const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0;
    return ok(h) && ok(w) ? { height: h, width: w } : undefined;
  } catch {
    return undefined;
  }
}

/** `end2end` metadata (`True`/`False`, either case) as a boolean; undefined if absent or odd. */
export function parseFlag(text: string | undefined): boolean | undefined {
  const t = text?.trim().toLowerCase();
  return t === 'true' ? true : t === 'false' ? false : undefined;
}

/** One class name per line; blank lines are ignored, surrounding whitespace trimmed. */
export async function readLabels(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8'))
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** The name of class index `i`: `names[i]`, or `class<i>` when the names don't cover it. */
export function className(names: readonly string[], i: number): string {
  return names[i] ?? `class${i}`;
}
