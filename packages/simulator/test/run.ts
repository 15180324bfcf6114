import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { simulate, type SimulateOptions } from '../src/simulate.js';

export function tempDir(prefix = 'reel-sim-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A run in a fresh folder. */
export async function run(options: Partial<SimulateOptions> = {}) {
  const out = tempDir();
  const record = await simulate({ users: 300, days: 60, start: '2024-01-01', seed: 1, out, ...options });
  return { out, record };
}

export function readCsv(path: string): Record<string, string>[] {
  return parse(readFileSync(path), { columns: true, relax_column_count: true }) as Record<string, string>[];
}
