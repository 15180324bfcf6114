// Shared by the embed pages: the page's JSON, the token endpoint, and the status line.

/** What GET /api/embed/<vendor> answers when it cannot mint a token. */
interface EmbedError {
  error?: string;
  fix?: string;
}

/** What happened on the page, for people and tests (window.reelEmbed). */
export interface EmbedState {
  events: string[];
  /** The filters given to the report (Power BI). */
  filters?: unknown[];
  tokenRefreshes: number;
  error?: string;
}

declare global {
  interface Window {
    reelEmbed?: EmbedState;
  }
}

export const state: EmbedState = { events: [], tokenRefreshes: 0 };
window.reelEmbed = state;

const status = document.getElementById('embed-status') as HTMLElement;
export const container = document.getElementById('embed-container') as HTMLElement;

/** Shows a status line; `error` marks it as an alert so it is read out and styled. */
export function showStatus(text: string, error = false): void {
  status.textContent = text;
  status.setAttribute('role', error ? 'alert' : 'status');
  status.classList.toggle('embed-error', error);
}

/** Shows an error and keeps it for tests. */
export function fail(text: string): void {
  state.error = text;
  showStatus(text, true);
}

/** Fetches a fresh embed config from the page's API (same origin, session cookie). */
export async function fetchEmbedInfo<T>(): Promise<T> {
  const page = JSON.parse(document.getElementById('page-data')?.textContent ?? '{}') as { api: string };
  const response = await fetch(page.api, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  const body = (await response.json().catch(() => ({}))) as T & EmbedError;
  if (!response.ok) throw new Error([body.error ?? `the portal answered ${response.status}`, body.fix].filter(Boolean).join(' — '));
  return body;
}
