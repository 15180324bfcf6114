import { PublishError } from '../errors.js';

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** How to show the body in --dry-run and --verbose output instead of the body itself. */
  readonly display?: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  json<T>(): T;
}

export interface HttpClientOptions {
  /** Retries after a 429 or 5xx (or a dropped connection) before giving up (default 5). */
  readonly maxRetries?: number;
  /** First backoff when the service gives no Retry-After (default 1,000 ms, doubling, with jitter). */
  readonly retryBaseMs?: number;
  /** Longest single wait, Retry-After included (default 120,000 ms). */
  readonly maxWaitMs?: number;
  /** Secrets to mask in everything printed (client secret, PAT secret, tokens). */
  readonly secrets?: () => readonly string[];
  /** Prints each request (masked): always in dry-run, with --verbose otherwise. */
  readonly log?: (line: string) => void;
  readonly verbose?: boolean;
  /** Print the requests instead of sending them; `respond` invents the replies the flow needs. */
  readonly dryRun?: { readonly respond: (request: HttpRequest) => unknown };
  readonly sleep?: (ms: number) => Promise<void>;
  readonly fetch?: typeof fetch;
  /** Which service, for messages ("Power BI", "Tableau"). */
  readonly service: string;
}

/** Every pause the client made and why: tests assert that Retry-After was honoured. */
export interface RetryRecord {
  readonly url: string;
  readonly status: number;
  readonly waitedMs: number;
  readonly retryAfter: string | null;
}

const SENSITIVE_HEADERS = new Set(['authorization', 'x-tableau-auth']);

/**
 * HTTP for the BI services: JSON and multipart bodies over fetch, retries with exponential backoff
 * on 429 and 5xx honouring `Retry-After` (seconds or an HTTP date), secrets masked in all output,
 * and a dry-run mode that prints the requests and sends nothing.
 */
export class HttpClient {
  readonly retries: RetryRecord[] = [];
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: HttpClientOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  get dryRun(): boolean {
    return this.options.dryRun !== undefined;
  }

  /** Sends a request; resolves with a 2xx response, or throws PublishError after the retries. */
  async send(request: HttpRequest): Promise<HttpResponse> {
    if (this.options.dryRun) {
      this.options.log?.(this.describe(request));
      const value = this.options.dryRun.respond(request);
      const text = value === undefined ? '' : JSON.stringify(value);
      return { status: 200, headers: new Headers(), text, json: <T>() => JSON.parse(text || 'null') as T };
    }
    const maxRetries = this.options.maxRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      if (this.options.verbose) this.options.log?.(this.describe(request));
      let response: Response;
      try {
        response = await (this.options.fetch ?? fetch)(request.url, { method: request.method, headers: request.headers, body: request.body });
      } catch (error) {
        if (attempt >= maxRetries) {
          throw new PublishError('unreachable', `${this.options.service}: ${request.method} ${this.mask(stripQuery(request.url))} failed: ${this.mask((error as Error).message)} (after ${attempt + 1} attempts); check the URL and the network`, { cause: error });
        }
        const waited = this.backoff(attempt);
        this.retries.push({ url: request.url, status: 0, waitedMs: waited, retryAfter: null });
        await this.sleep(waited);
        continue;
      }
      const text = await response.text();
      if (response.ok) return { status: response.status, headers: response.headers, text, json: <T>() => JSON.parse(text || 'null') as T };
      const retryable = response.status === 429 || response.status >= 500;
      if (retryable && attempt < maxRetries) {
        const retryAfter = response.headers.get('retry-after');
        const waited = Math.min(this.options.maxWaitMs ?? 120_000, retryAfterMs(retryAfter) ?? this.backoff(attempt));
        this.retries.push({ url: request.url, status: response.status, waitedMs: waited, retryAfter });
        this.options.log?.(`${this.options.service} answered ${response.status} to ${request.method} ${this.mask(stripQuery(request.url))}; retrying in ${(waited / 1000).toFixed(1)} s${retryAfter ? ` (Retry-After: ${retryAfter})` : ''}`);
        await this.sleep(waited);
        continue;
      }
      throw new PublishError(
        'service-error',
        `${this.options.service} answered ${response.status} ${response.statusText} to ${request.method} ${this.mask(stripQuery(request.url))}${retryable ? ` after ${attempt + 1} attempts` : ''}: ${this.mask(serviceMessage(text))}`,
        { status: response.status },
      );
    }
  }

  private backoff(attempt: number): number {
    const base = (this.options.retryBaseMs ?? 1000) * 2 ** attempt;
    return Math.min(this.options.maxWaitMs ?? 120_000, Math.round(base * (0.75 + Math.random() * 0.5)));
  }

  /** Replaces every known secret in text with ***. */
  mask(text: string): string {
    let masked = text;
    for (const secret of this.options.secrets?.() ?? []) {
      if (secret && secret.length >= 4) masked = masked.split(secret).join('***');
      if (secret && secret.length >= 4) masked = masked.split(encodeURIComponent(secret)).join('***');
    }
    return masked;
  }

  /** `METHOD url` with headers and body, secrets masked, bodies summarised. */
  describe(request: HttpRequest): string {
    const lines = [`${request.method} ${this.mask(request.url)}`];
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      lines.push(`  ${name}: ${SENSITIVE_HEADERS.has(name.toLowerCase()) ? value.replace(/^(Bearer\s+)?.*$/i, (_, bearer: string | undefined) => `${bearer ?? ''}***`) : this.mask(value)}`);
    }
    if (request.display !== undefined) lines.push(`  ${this.mask(request.display).replaceAll('\n', '\n  ')}`);
    else if (typeof request.body === 'string' && request.body !== '') lines.push(`  ${this.mask(request.body).replaceAll('\n', '\n  ')}`);
    else if (request.body instanceof Uint8Array) lines.push(`  [${request.body.length.toLocaleString('en')} bytes]`);
    return lines.join('\n');
  }
}

/** Milliseconds to wait for a Retry-After value: delay-seconds or an HTTP date (RFC 9110). */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function stripQuery(url: string): string {
  return url.split('?')[0]!;
}

/** The service's own words from an error body (Power BI `error.message`, Tableau `error.detail`). */
function serviceMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: string; detail?: string; summary?: string; code?: string } | string; error_description?: string };
    if (typeof body.error === 'object' && body.error) return [body.error.code, body.error.summary, body.error.detail ?? body.error.message].filter(Boolean).join(': ');
    if (body.error_description) return body.error_description.split('\n')[0]!;
    if (typeof body.error === 'string') return body.error;
  } catch {
    // not JSON
  }
  return text.slice(0, 300) || '(no body)';
}
