import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { catalogFromNetflix, generateCatalog, NETFLIX_COLUMNS, type Catalog } from './catalog.js';
import { SimulationError } from './simulation-error.js';

/** How to obtain the catalog: plain data, so that worker threads build the same one. */
export type CatalogSpec =
  | { readonly kind: 'generated'; readonly seed: number; readonly titles: number; readonly firstDay: number; readonly lastDay: number }
  | { readonly kind: 'netflix'; readonly seed: number; readonly file: string };

let cached: { key: string; catalog: Catalog } | undefined;

export function loadCatalog(spec: CatalogSpec): Catalog {
  const key = JSON.stringify(spec);
  if (cached?.key === key) return cached.catalog;
  const catalog = spec.kind === 'generated' ? generateCatalog(spec.seed, spec.titles, spec.firstDay, spec.lastDay) : readNetflixCatalog(spec.seed, spec.file);
  cached = { key, catalog };
  return catalog;
}

function readNetflixCatalog(seed: number, file: string): Catalog {
  let records: Record<string, string>[];
  try {
    records = parse(readFileSync(file), { columns: true, bom: true, skip_empty_lines: true }) as Record<string, string>[];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    const reason = (error as Error).message.replace(/^Invalid Record Length: /, '');
    throw new SimulationError('catalog-csv', `${file}${line ? `:${line}` : ''}: ${reason}`, { hint: 'the catalog must be a CSV file in the Netflix titles format (quote fields that hold commas)' });
  }
  const header = Object.keys(records[0] ?? {});
  const missing = NETFLIX_COLUMNS.filter((column) => !header.includes(column));
  if (records.length === 0 || missing.length > 0) {
    throw new SimulationError('catalog-columns', `${file}:1: the catalog ${records.length === 0 ? 'has no titles' : `lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`}`, {
      hint: `its header must be: ${NETFLIX_COLUMNS.join(',')}`,
    });
  }
  return catalogFromNetflix(seed, records);
}
