import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { UsageError } from '../errors/index.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

export interface DocsServer {
  /** e.g. http://127.0.0.1:8080/ */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves the files of `dir` (GET and HEAD only, nothing outside it) on 127.0.0.1. Port 0 picks a
 * free port; `url` says which.
 */
export async function serveDocs(dir: string, options: { port: number; host?: string }): Promise<DocsServer> {
  const root = resolve(dir);
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((request, response) => {
    const send = (status: number, text: string) => {
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
      response.end(request.method === 'HEAD' ? undefined : text);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      send(405, 'method not allowed\n');
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    } catch {
      send(400, 'bad request\n');
      return;
    }
    if (path.endsWith('/')) path += 'index.html';
    const file = resolve(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) {
      send(404, 'not found\n');
      return;
    }
    stat(file).then(
      (info) => {
        if (!info.isFile()) {
          send(404, 'not found\n');
          return;
        }
        response.writeHead(200, {
          'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
          'content-length': info.size,
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
        });
        if (request.method === 'HEAD') {
          response.end();
          return;
        }
        createReadStream(file)
          .on('error', () => response.destroy())
          .pipe(response);
      },
      () => send(404, 'not found\n'),
    );
  });
  await new Promise<void>((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      fail(
        error.code === 'EADDRINUSE'
          ? new UsageError('docs-port-in-use', `port ${options.port} on ${host} is already in use`, { hint: 'choose another with --port <n>, or --port 0 for any free port' })
          : error.code === 'EACCES'
            ? new UsageError('docs-port-denied', `not allowed to listen on port ${options.port}`, { hint: 'choose a port above 1023 with --port <n>' })
            : error,
      );
    });
    server.listen(options.port, host, () => done());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/`,
    port,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
