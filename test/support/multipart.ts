/** A multipart/form-data body with text fields first, then one file part (what browsers and curl send). */
export function multipart(field: string, filename: string, content: Buffer, type = 'application/octet-stream', fields: Record<string, string> = {}) {
  const boundary = '----framewise' + Math.random().toString(16).slice(2);
  const before = Object.entries(fields)
    .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
    .join('');
  const head = Buffer.from(
    `${before}--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { payload: Buffer.concat([head, content, tail]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
