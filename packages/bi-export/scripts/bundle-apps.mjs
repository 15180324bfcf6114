// Bundles the portal's browser code (src/portal-app/*.page.ts and src/embed/app/*.page.ts, each with
// the libraries it imports, e.g. echarts and powerbi-client) into dist/portal-app/, so the portal works
// offline and its Content-Security-Policy can stay 'self'.
import { build } from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const entries = ['src/portal-app', 'src/embed/app']
  .filter((dir) => existsSync(join(root, dir)))
  .flatMap((dir) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.page.ts') || f.endsWith('.page.css')).map((f) => join(root, dir, f)));
await build({
  entryPoints: entries,
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  legalComments: 'linked',
  outdir: join(root, 'dist/portal-app'),
  // Flat: dist/portal-app/<name>.page.js, whichever folder the entry is in.
  entryNames: '[name]',
  logLevel: 'warning',
});
