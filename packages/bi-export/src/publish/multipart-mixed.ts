import { randomBytes } from 'node:crypto';

export interface MultipartPart {
  /** `request_payload`, `tableau_datasource`, `tableau_file`, … */
  readonly name: string;
  readonly filename?: string;
  readonly contentType: string;
  readonly body: string | Uint8Array;
}

/**
 * A `multipart/mixed` body as Tableau's REST API takes it for publishing and file uploads: each
 * part with `Content-Disposition: name="…"` (and `filename="…"` for the file) and its own
 * Content-Type, CRLF line ends, and a random boundary.
 */
export function multipartMixed(parts: readonly MultipartPart[]): { body: Uint8Array; contentType: string; display: string } {
  const boundary = `reel-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `Content-Disposition: name="${part.name}"${part.filename !== undefined ? `; filename="${part.filename.replaceAll('"', '')}"` : ''}`;
    chunks.push(Buffer.from(`--${boundary}\r\n${disposition}\r\nContent-Type: ${part.contentType}\r\n\r\n`));
    chunks.push(typeof part.body === 'string' ? Buffer.from(part.body) : Buffer.from(part.body.buffer, part.body.byteOffset, part.body.byteLength));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  const display = parts
    .map((p) => (typeof p.body === 'string' && !p.filename ? `[part ${p.name} (${p.contentType})] ${p.body}` : `[part ${p.name}${p.filename ? ` filename=${p.filename}` : ''} (${p.contentType}), ${p.body.length.toLocaleString('en')} bytes]`))
    .join('\n');
  return { body: new Uint8Array(Buffer.concat(chunks)), contentType: `multipart/mixed; boundary=${boundary}`, display };
}
