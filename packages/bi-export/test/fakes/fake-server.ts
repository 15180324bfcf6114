import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as a fake received it. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  /** ms since the fake started */
  readonly at: number;
  /** What the fake answered. */
  status?: number;
}

export interface FakeReply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** A planned misbehaviour: the next `times` requests matching `path` get `status`. */
interface Trouble {
  readonly method?: string;
  readonly path: RegExp;
  times: number;
  readonly status: number;
  readonly retryAfter?: string;
}

/**
 * The common part of the vendor fakes: a node:http server on 127.0.0.1 that records every request,
 * can throttle (429 with Retry-After) or fail (5xx) requests on demand, and hands the rest to the
 * fake's handler. Used only in tests; never a real vendor host.
 */
export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  private readonly troubles: Trouble[] = [];
  private server: Server | undefined;
  private started = 0;
  url = '';

  constructor(private readonly handle: (request: RecordedRequest) => FakeReply | Promise<FakeReply>) {}

  async start(): Promise<this> {
    this.started = Date.now();
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `times` requests to paths matching `path` are answered 429 with Retry-After. */
  throttle(path: RegExp, times: number, retryAfter = '1', method?: string): void {
    this.troubles.push({ path, times, status: 429, retryAfter, method });
  }

  /** The next `times` requests to paths matching `path` are answered with `status` (a 5xx, or 401 TokenExpired). */
  fail(path: RegExp, times: number, status = 500, method?: string): void {
    this.troubles.push({ path, times, status, method });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const request: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks), at: Date.now() - this.started };
    this.requests.push(request);
    let reply: FakeReply;
    const trouble = this.troubles.find((t) => t.times > 0 && t.path.test(request.path) && (!t.method || t.method === request.method));
    if (trouble) {
      trouble.times--;
      const [code, message] = trouble.status === 429 ? ['TooManyRequests', 'Rate limit exceeded'] : trouble.status === 401 ? ['TokenExpired', 'Access token has expired, resubmit with a new access token'] : ['InternalServerError', 'The service failed'];
      reply = {
        status: trouble.status,
        body: { error: { code, message } },
        headers: trouble.retryAfter ? { 'Retry-After': trouble.retryAfter } : {},
      };
    } else {
      try {
        reply = await this.handle(request);
      } catch (error) {
        reply = { status: 500, body: { error: { code: 'FakeError', message: (error as Error).message } } };
      }
    }
    request.status = reply.status;
    const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, { ...(text ? { 'Content-Type': 'application/json' } : {}), ...reply.headers });
    res.end(text);
  }
}

/** Parts of a multipart body, parsed strictly (the fake's check that the client sent it right). */
export interface Part {
  readonly name: string;
  readonly filename?: string;
  readonly contentType?: string;
  readonly body: Buffer;
}

export function parseMultipart(contentType: string | undefined, body: Buffer): Part[] {
  const match = /^multipart\/mixed;\s*boundary=("?)([^";]+)\1/i.exec(contentType ?? '');
  if (!match) throw new Error(`expected Content-Type multipart/mixed with a boundary, got ${contentType ?? 'none'}`);
  const delimiter = Buffer.from(`--${match[2]}`);
  const parts: Part[] = [];
  let position = body.indexOf(delimiter);
  if (position !== 0) throw new Error('the body does not start with the boundary');
  for (;;) {
    position += delimiter.length;
    if (body.subarray(position, position + 2).toString() === '--') break;
    if (body.subarray(position, position + 2).toString() !== '\r\n') throw new Error('a boundary line must end with CRLF');
    position += 2;
    const headerEnd = body.indexOf('\r\n\r\n', position);
    if (headerEnd === -1) throw new Error('a part has no blank line after its headers');
    const headers = new Map(
      body
        .subarray(position, headerEnd)
        .toString()
        .split('\r\n')
        .map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()] as const;
        }),
    );
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next === -1) throw new Error('a part is not closed by a boundary');
    const disposition = headers.get('content-disposition') ?? '';
    const name = /(?:^|;\s*)name="([^"]*)"/.exec(disposition)?.[1];
    if (!name) throw new Error(`a part has no Content-Disposition name: ${disposition}`);
    const filename = /filename="([^"]*)"/.exec(disposition)?.[1];
    parts.push({ name, ...(filename !== undefined ? { filename } : {}), ...(headers.get('content-type') ? { contentType: headers.get('content-type') } : {}), body: body.subarray(headerEnd + 4, next) });
    position = next + 2;
  }
  return parts;
}
