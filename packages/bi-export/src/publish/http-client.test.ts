import { describe, expect, it } from 'vitest';
import { parseMultipart } from '../../test/fakes/fake-server.js';
import { HttpClient, retryAfterMs } from './http-client.js';
import { multipartMixed } from './multipart-mixed.js';

describe('http client', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(5000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });

  it('masks secrets and credentials headers in what it prints', () => {
    const http = new HttpClient({ service: 'Test', secrets: () => ['s3cr3t-value'] });
    const text = http.describe({ method: 'POST', url: 'https://x/token', headers: { Authorization: 'Bearer abc.def', 'X-Tableau-Auth': 'tok', 'Content-Type': 'text/plain' }, body: 'client_secret=s3cr3t-value' });
    expect(text).toBe('POST https://x/token\n  Authorization: Bearer ***\n  X-Tableau-Auth: ***\n  Content-Type: text/plain\n  client_secret=***');
  });

  it('builds multipart/mixed bodies that a strict parser reads back', () => {
    const file = new Uint8Array([0, 1, 2, 13, 10, 45, 45, 255]);
    const { body, contentType } = multipartMixed([
      { name: 'request_payload', contentType: 'text/xml', body: '<tsRequest/>' },
      { name: 'tableau_file', filename: 'file', contentType: 'application/octet-stream', body: file },
    ]);
    const parts = parseMultipart(contentType, Buffer.from(body));
    expect(parts.map((p) => [p.name, p.filename, p.contentType])).toEqual([['request_payload', undefined, 'text/xml'], ['tableau_file', 'file', 'application/octet-stream']]);
    expect(parts[0]!.body.toString()).toBe('<tsRequest/>');
    expect(Buffer.compare(parts[1]!.body, Buffer.from(file))).toBe(0);
  });
});
