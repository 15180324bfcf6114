import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { redactUrl } from '../execute/connection/resolve-target.js';
import type { NodeResult } from '../execute/execute-plan.js';
import type { NodeStep } from '../plan/steps.js';
import type { Relation } from '../sql/quote.js';
import { endEventType, newRunId, runEvent, type ColumnType, type EventContext, type RunEvent } from './openlineage-events.js';

/** Where events go, from the OpenLineage client's environment variables. */
export interface OpenLineageSettings {
  /** Always written: a local log of every event, one JSON object per line. */
  readonly file: string;
  /**
   * OPENLINEAGE_URL + OPENLINEAGE_ENDPOINT (default api/v1/lineage), when set, without user-info:
   * OPENLINEAGE_API_KEY is sent as `Bearer`, else the URL's `user:password@` as `Basic` (as curl does).
   */
  readonly http?: { readonly url: string; readonly authorization?: string };
  /** OPENLINEAGE_NAMESPACE */
  readonly namespace?: string;
}

export function openLineageSettings(env: Readonly<Record<string, string | undefined>>, file: string): OpenLineageSettings | undefined {
  if (/^(1|true|yes)$/i.test(env.OPENLINEAGE_DISABLED ?? '')) return undefined;
  const base = env.OPENLINEAGE_URL?.trim();
  const endpoint = (env.OPENLINEAGE_ENDPOINT ?? 'api/v1/lineage').replace(/^\/+/, '');
  return {
    file,
    ...(base ? { http: receiver(endpointUrl(base, endpoint), env.OPENLINEAGE_API_KEY) } : {}),
    ...(env.OPENLINEAGE_NAMESPACE ? { namespace: env.OPENLINEAGE_NAMESPACE } : {}),
  };
}

function receiver(url: string, apiKey: string | undefined): { url: string; authorization?: string } {
  let basic: string | undefined;
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      basic = Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64');
      parsed.username = '';
      parsed.password = '';
      url = parsed.toString();
    }
  } catch {
    // not a URL: fetch says so, and the message shows it redacted
  }
  const authorization = apiKey ? `Bearer ${apiKey}` : basic ? `Basic ${basic}` : undefined;
  return { url, ...(authorization ? { authorization } : {}) };
}

/** The endpoint under the base URL, keeping the base's query (`https://host/?token=…` → `https://host/api/v1/lineage?token=…`). */
function endpointUrl(base: string, endpoint: string): string {
  try {
    const url = new URL(base);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/${endpoint}`;
    return url.toString();
  } catch {
    return `${base.replace(/\/+$/, '')}/${endpoint}`;
  }
}

export interface EmitterOptions {
  readonly settings: OpenLineageSettings;
  readonly context: EventContext;
  /** Reads a built relation's columns and types, for the schema facet. */
  readonly describe?: (relation: Relation) => Promise<readonly ColumnType[]>;
  readonly fetch?: typeof fetch;
  readonly retries?: number;
}

/**
 * Turns step starts and finishes into OpenLineage run events, in order. The file gets every event
 * as it happens; the HTTP endpoint gets them in the same order from one queue, retried on 429/5xx,
 * so a slow or absent receiver never slows the build (problems come back as warnings from flush).
 */
export class OpenLineageEmitter {
  private readonly runs = new Map<string, string>();
  private queue: Promise<void> = Promise.resolve();
  private readonly warnings: string[] = [];
  private sent = 0;
  /** After one event could not be delivered, the rest of the run only goes to the file. */
  private httpGaveUp = false;

  constructor(private readonly options: EmitterOptions) {
    mkdirSync(dirname(options.settings.file), { recursive: true });
    writeFileSync(options.settings.file, '');
  }

  start(step: NodeStep): void {
    const runId = newRunId();
    this.runs.set(step.nodeId, runId);
    this.enqueue(async () => runEvent(this.options.context, step.nodeId, runId, 'START'));
  }

  finish(step: NodeStep, result: NodeResult): void {
    let runId = this.runs.get(step.nodeId);
    if (!runId) {
      // Skipped because something upstream failed, so it never started. The spec wants one START
      // and one end event per run, and dbt-ol sends START then ABORT for a skipped node too.
      if (result.status !== 'skipped') return;
      this.start(step);
      runId = this.runs.get(step.nodeId)!;
    }
    const type = endEventType(result);
    this.enqueue(async () => {
      const columns = type === 'COMPLETE' && 'relation' in step && this.options.describe ? await this.options.describe(step.relation).catch(() => undefined) : undefined;
      return runEvent(this.options.context, step.nodeId, runId, type, { result, ...(columns ? { columns } : {}) });
    });
  }

  /** Waits for every event to be written and sent; returns what went wrong, once each. */
  async flush(): Promise<{ events: number; warnings: string[] }> {
    await this.queue;
    return { events: this.sent, warnings: [...new Set(this.warnings)] };
  }

  private enqueue(make: () => Promise<RunEvent>): void {
    this.queue = this.queue.then(async () => {
      const event = await make();
      appendFileSync(this.options.settings.file, `${JSON.stringify(event)}\n`);
      this.sent++;
      if (this.options.settings.http && !this.httpGaveUp) {
        try {
          await this.post(event);
        } catch (error) {
          this.httpGaveUp = true;
          throw error;
        }
      }
    }).catch((error: unknown) => {
      this.warnings.push(`OpenLineage: ${(error as Error).message}`);
    });
  }

  private async post(event: RunEvent): Promise<void> {
    const http = this.options.settings.http!;
    const send = this.options.fetch ?? fetch;
    const retries = this.options.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      let status = 0;
      let retryAfter = 0;
      try {
        const response = await send(http.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(http.authorization ? { authorization: http.authorization } : {}) },
          body: JSON.stringify(event),
          signal: AbortSignal.timeout(10_000),
        });
        status = response.status;
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return;
        retryAfter = Number(response.headers.get('retry-after') ?? 0);
      } catch (error) {
        if (attempt >= retries) throw new Error(`could not send events to ${redactReceiverUrl(http.url)}: ${(error as Error).message.replaceAll(http.url, redactReceiverUrl(http.url))}; they are in ${this.options.settings.file}`);
      }
      if (status !== 0 && status !== 429 && status < 500) {
        throw new Error(`${redactReceiverUrl(http.url)} refused an event with HTTP ${status}; check OPENLINEAGE_URL and OPENLINEAGE_API_KEY (events are in ${this.options.settings.file})`);
      }
      if (attempt >= retries) throw new Error(`${redactReceiverUrl(http.url)} answered HTTP ${status} ${retries + 1} times; events are in ${this.options.settings.file}`);
      await new Promise((r) => setTimeout(r, retryAfter > 0 ? Math.min(retryAfter, 30) * 1000 : 200 * 2 ** attempt));
    }
  }
}

/**
 * The receiver's URL as messages show it. On top of what `redactUrl` masks for connection strings,
 * a user name without a password is a token here (`https://TOKEN@host`), and so are key, auth and
 * signature parameters (`?api_key=…`).
 */
export function redactReceiverUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username && !parsed.password) parsed.username = '****';
    for (const key of [...parsed.searchParams.keys()]) if (/key|auth|sig|credential/i.test(key)) parsed.searchParams.set(key, '****');
    return redactUrl(parsed.toString());
  } catch {
    return '(unparseable OPENLINEAGE_URL)';
  }
}
