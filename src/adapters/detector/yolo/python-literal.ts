/**
 * A parser for the Python literals Ultralytics writes into ONNX metadata with `str()`: dicts, lists,
 * tuples, strings (either quote, with escapes), numbers, True/False/None. E.g.
 * `{0: 'person', 1: "o'clock"}`, `[640, 640]`.
 */

export type PyValue = string | number | boolean | null | PyValue[] | Map<PyValue, PyValue>;

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v' };
const HEX_DIGITS: Record<string, number> = { x: 2, u: 4, U: 8 };
const CLOSE: Record<string, string> = { '[': ']', '(': ')', '{': '}' };

/** Parses `text` as one Python literal; throws on anything else. */
export function parsePythonLiteral(text: string): PyValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at offset ${i} of ${JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text)}`);
  };
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };

  const str = (): string => {
    const quote = text[i++]!;
    let s = '';
    while (i < text.length && text[i] !== quote) {
      const c = text[i++]!;
      if (c !== '\\') {
        s += c;
        continue;
      }
      const e = text[i++] ?? fail('unterminated escape');
      const hex = HEX_DIGITS[e];
      if (hex) {
        const digits = text.slice(i, i + hex);
        if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== hex) fail(`bad \\${e} escape`);
        s += String.fromCodePoint(parseInt(digits, 16));
        i += hex;
      } else s += ESCAPES[e] ?? (e === '\n' ? '' : e); // \\, \', \" and a line continuation
    }
    if (text[i++] !== quote) fail('unterminated string');
    return s;
  };

  const value = (): PyValue => {
    skipSpace();
    const c = text[i];
    if (c === "'" || c === '"') return str();
    if (c === '[' || c === '(' || c === '{') {
      const close = CLOSE[c]!;
      i++;
      const items: PyValue[] = [];
      const dict = new Map<PyValue, PyValue>();
      for (;;) {
        skipSpace();
        if (text[i] === close) break;
        const item = value();
        skipSpace();
        if (c === '{') {
          if (text[i++] !== ':') fail("expected ':'");
          dict.set(item, value());
          skipSpace();
        } else items.push(item);
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected ',' or '${close}'`);
      }
      i++;
      return c === '{' ? dict : items;
    }
    const word = /^(?:[-+]?[\d.]+(?:[eE][-+]?\d+)?|True|False|None)/.exec(text.slice(i))?.[0] ?? fail('unexpected input');
    i += word.length;
    if (word === 'True' || word === 'False') return word === 'True';
    if (word === 'None') return null;
    const n = Number(word);
    return Number.isFinite(n) ? n : fail(`bad number ${word}`);
  };

  const result = value();
  skipSpace();
  if (i !== text.length) fail('trailing input');
  return result;
}
