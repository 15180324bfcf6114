import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Writes a small inline project to a temp folder: `{ 'models/a.sql': 'select 1' }`. */
export function writeProject(files: Record<string, string>, options: { name?: string } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'reel-fixture-'));
  const all = { 'reel_project.yml': `name: ${options.name ?? 'demo'}\n`, ...files };
  for (const [path, text] of Object.entries(all)) {
    const absolute = join(root, path);
    mkdirSync(dirname(absolute), { recursive: true });
    writeFileSync(absolute, text);
  }
  return root;
}

export function removeProject(root: string): void {
  rmSync(root, { recursive: true, force: true });
}
