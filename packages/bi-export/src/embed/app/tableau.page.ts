// The Tableau view page. Connected app: a <tableau-viz> web component from @tableau/embedding-api
// (bundled) with the short-lived JWT from /api/embed/tableau, which it posts to the server's
// embed sign-in. Trusted ticket (older Tableau Server):
// the v2 JS API from the Tableau server itself and a viz on the ticketed URL.
import '@tableau/embedding-api';
import { container, fail, fetchEmbedInfo, showStatus, state } from './embed-page-data.js';

type TableauEmbedInfo = { auth: 'connected-app'; src: string; token: string; expiry: string } | { auth: 'trusted-ticket'; src: string; apiScript: string };

interface TableauV2 {
  Viz: new (element: HTMLElement, url: string, options: Record<string, unknown>) => unknown;
}

declare global {
  interface Window {
    tableau?: TableauV2;
  }
}

function embedConnectedApp(info: Extract<TableauEmbedInfo, { auth: 'connected-app' }>): void {
  const viz = document.createElement('tableau-viz');
  viz.setAttribute('src', info.src);
  viz.setAttribute('token', info.token);
  viz.setAttribute('toolbar', 'bottom');
  viz.addEventListener('firstinteractive', () => {
    state.events.push('firstinteractive');
    showStatus('View loaded.');
  });
  viz.addEventListener('vizloaderror', (event) => {
    const detail = (event as CustomEvent<{ errorCode?: string; message?: string }>).detail;
    fail(`Tableau could not show the view: ${describeLoadError(detail?.errorCode, detail?.message)}`);
  });
  container.replaceChildren(viz);
  // The JWT is good for one sign-in; Tableau's session carries on after it. Changing the token
  // attribute re-renders the viz, so it is not renewed in place: a reload of the page gets a new one.
}

/** A vizloaderror in words: its message is JSON {statusCode, errorMessage} from the sign-in. */
function describeLoadError(code: string | undefined, message: string | undefined): string {
  let parsed: { statusCode?: number; errorMessage?: string } = {};
  try {
    parsed = JSON.parse(message ?? '{}') as typeof parsed;
  } catch {
    parsed = { errorMessage: message };
  }
  const status = parsed.statusCode ? `the server answered ${parsed.statusCode}` : (code ?? 'unknown error');
  const auth = code === 'auth-failed' || parsed.statusCode === 401 || parsed.statusCode === 403;
  const fix = auth ? ' — the sign-in was refused: check the connected app (client_id, secret_id, TABLEAU_CONNECTED_APP_SECRET) and that the user exists on the site' : '';
  return `${status}${parsed.errorMessage ? ` (${parsed.errorMessage.slice(0, 200)})` : ''}${fix}`;
}

function embedTrustedTicket(info: Extract<TableauEmbedInfo, { auth: 'trusted-ticket' }>): void {
  const script = document.createElement('script');
  script.src = info.apiScript;
  script.onload = () => {
    if (!window.tableau) return fail('The Tableau JavaScript API did not load from the Tableau server.');
    new window.tableau.Viz(container, info.src, { hideToolbar: false, onFirstInteractive: () => state.events.push('firstinteractive') });
  };
  script.onerror = () => fail(`The Tableau JavaScript API could not be loaded from ${new URL(info.apiScript).origin}.`);
  document.head.append(script);
}

async function main(): Promise<void> {
  try {
    const info = await fetchEmbedInfo<TableauEmbedInfo>();
    if (info.auth === 'connected-app') embedConnectedApp(info);
    else embedTrustedTicket(info);
  } catch (error) {
    fail(`The Tableau view cannot be shown: ${(error as Error).message}`);
  }
}

void main();
