import { existsSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReelError } from '../errors/index.js';
import type { DocsInput } from './docs-input.js';
import { forgetSiteRecord, writeSiteRecord, type SiteRecordOptions } from './reuse-site.js';
import { shapeSite } from './shape-site-data.js';

/**
 * The bundled browser app (app.js, app.css, and the licence of dagre, which it bundles), built by
 * the package's build script from src/docs/app/. Both src/docs and dist/docs are two folders below
 * the package root.
 */
export const DOCS_APP_DIR = fileURLToPath(new URL('../../dist/docs-app/', import.meta.url));

export interface WriteDocsOptions {
  /** Where app.js and app.css are (default: the package's dist/docs-app). */
  readonly appDir?: string;
  /** The time the site says it was generated (default: now). */
  readonly generatedAt?: string;
  /** Where to record what the site was made from, so that reuseDocsSite can keep it next time. */
  readonly record?: SiteRecordOptions;
}

/**
 * Writes the static docs site to `outDir`: index.html, the bundled app, data.js with the index
 * every page needs, and per chunk of nodes a details file and an SQL file that pages load when
 * they need them. Works opened from file:// and served over HTTP; nothing is fetched from
 * anywhere else.
 *
 * @example
 * ```ts
 * const manifest = JSON.parse(readFileSync('target/manifest.json', 'utf8'));
 * const { files, bytes } = await writeDocsSite('target/docs', { manifest });
 * ```
 */
export async function writeDocsSite(outDir: string, input: DocsInput, options: WriteDocsOptions = {}): Promise<{ files: number; bytes: number }> {
  const appDir = options.appDir ?? DOCS_APP_DIR;
  if (!existsSync(join(appDir, 'app.js')) || !existsSync(join(appDir, 'app.css'))) {
    throw new ReelError('docs-app-missing', `the docs site's app is not built: ${join(appDir, 'app.js')} is missing`, {
      hint: 'build the modeler first: pnpm turbo build --filter=@reel/modeler',
    });
  }
  if (options.record) forgetSiteRecord(options.record);
  const generatedAt = options.generatedAt ?? new Date().toISOString();
  const site = shapeSite(input, generatedAt);
  // Chunks of an earlier, larger project must not linger.
  await rm(join(outDir, 'nodes'), { recursive: true, force: true });
  await rm(join(outDir, 'sql'), { recursive: true, force: true });
  await mkdir(join(outDir, 'nodes'), { recursive: true });
  await mkdir(join(outDir, 'sql'), { recursive: true });

  let bytes = 0;
  let files = 0;
  const write = (path: string, text: string) => {
    writeFileSync(join(outDir, path), text);
    bytes += Buffer.byteLength(text);
    files++;
  };
  write('index.html', indexHtml(site.index.project));
  // JSON.parse of a string literal is parsed faster than the same object as a JavaScript literal.
  write('data.js', `window.REEL_DOCS=JSON.parse(${JSON.stringify(JSON.stringify(site.index))});\n`);
  // One chunk at a time, written as soon as it is made: its records never outlive it.
  for (let n = 0; n < site.index.chunkCount; n++) {
    const chunk = site.chunk(n);
    write(join('nodes', `${n}.js`), chunkScript('nodes', n, chunk.details));
    write(join('sql', `${n}.js`), chunkScript('sql', n, chunk.sql));
  }
  // app.js, app.css and the licence of the bundled layout library.
  const assets = (await readdir(appDir)).filter((name) => !name.endsWith('.map'));
  for (const asset of assets) {
    await copyFile(join(appDir, asset), join(outDir, asset));
    bytes += (await stat(join(outDir, asset))).size;
  }
  const written = { files: files + assets.length, bytes };
  if (options.record) writeSiteRecord(options.record, appDir, outDir, { generatedAt, chunkCount: site.index.chunkCount, ...written });
  return written;
}

function chunkScript(kind: 'nodes' | 'sql', n: number, value: unknown): string {
  return `REEL_DOCS_CHUNK(${JSON.stringify(kind)},${n},${JSON.stringify(value)});\n`;
}

function indexHtml(project: string): string {
  const title = escapeHtml(`${project} · Reel docs`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${title}</title>
<link rel="stylesheet" href="app.css">
</head>
<body>
<noscript><p>The Reel docs site needs JavaScript.</p></noscript>
<div id="app" class="app"></div>
<script src="data.js"></script>
<script src="app.js"></script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
