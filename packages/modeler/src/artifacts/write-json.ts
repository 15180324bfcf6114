import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes JSON through a temp file and a rename, so readers never see half an artifact. */
export function writeJsonAtomic(path: string, value: unknown, pretty = false): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value));
  renameSync(temp, path);
}
