import { createReadStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ExecutionError } from '../errors/index.js';
import type { SeedStep } from '../plan/steps.js';
import { quoteIdent, quoteLiteral, quoteRelation } from '../sql/quote.js';
import type { StepOutcome } from './materialize.js';
import { dropStatement, relationKind, replacePreservingDependents, shadowName } from './relations.js';
import type { Session } from './session.js';

/** Loads a seed CSV with COPY into a shadow table and swaps it in. Column types: declared, else inferred. */
export async function loadSeed(session: Session, step: SeedStep): Promise<StepOutcome> {
  // Loaded on first use: most runs have no seeds to load.
  const [{ parse }, { from: copyFrom }] = await Promise.all([import('csv-parse/sync'), import('pg-copy-streams')]);
  const { header, types } = readSeedShape(step, parse);
  const shadow = shadowName(step.relation, 'new');
  await session.query(`drop table if exists ${quoteRelation(shadow)}`);
  await session.query(`create table ${quoteRelation(shadow)} (${header.map((c, i) => `${quoteIdent(c)} ${types[i]}`).join(', ')})`);
  const copy = session.client.query(
    copyFrom(`copy ${quoteRelation(shadow)} (${header.map(quoteIdent).join(', ')}) from stdin with (format csv, header true, delimiter ${quoteLiteral(step.delimiter)})`),
  );
  try {
    await pipeline(createReadStream(step.csvPath), copy);
  } catch (error) {
    throw copyError(error, step);
  }
  const rows = copy.rowCount;
  const existing = await relationKind(session, step.relation);
  const rename = `alter table ${quoteRelation(shadow)} rename to ${quoteIdent(step.relation.identifier)}`;
  if (existing === undefined) await session.query(rename);
  else {
    await replacePreservingDependents(session, step.relation, async () => {
      await session.query(dropStatement(step.relation, existing));
      await session.query(rename);
    });
  }
  return { status: 'success', message: `INSERT ${rows}`, rowsAffected: rows };
}

function readSeedShape(step: SeedStep, parse: typeof import('csv-parse/sync').parse): { header: string[]; types: string[] } {
  let records: string[][];
  try {
    records = parse(readFileSync(step.csvPath), { delimiter: step.delimiter, relax_column_count: false, skip_empty_lines: true, bom: true });
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    const message = error instanceof Error ? error.message.replace(/^Invalid Record Length: /, '') : String(error);
    throw new ExecutionError('seed-csv', `cannot read seed CSV: ${message}`, { file: step.file, line, hint: 'every row needs as many fields as the header; quote fields that contain the delimiter' });
  }
  const header = records[0] ?? [];
  if (header.length === 0) throw new ExecutionError('seed-empty', 'seed CSV has no header row', { file: step.file, line: 1, hint: 'the first line must name the columns' });
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name.trim() === '') throw new ExecutionError('seed-header', `column ${i + 1} of the header has no name`, { file: step.file, line: 1, column: i + 1, hint: 'name every column in the first line' });
    if (seen.has(name)) throw new ExecutionError('seed-header', `column "${name}" appears twice in the header`, { file: step.file, line: 1, hint: 'give each column a unique name' });
    seen.add(name);
  });
  for (const declared of Object.keys(step.columnTypes)) {
    if (!seen.has(declared)) {
      throw new ExecutionError('seed-column-type', `column_types names "${declared}", which is not a column of the seed`, { file: step.file, line: 1, hint: `columns are: ${header.join(', ')}` });
    }
  }
  const types = header.map((name, i) => step.columnTypes[name] ?? inferType(records.slice(1).map((r) => r[i] ?? '')));
  return { header, types };
}

/** The narrowest PostgreSQL type every non-empty value fits, like dbt's seed inference. */
export function inferType(values: readonly string[]): string {
  const present = values.filter((v) => v !== '');
  if (present.length === 0) return 'text';
  const all = (pattern: RegExp) => present.every((v) => pattern.test(v));
  if (all(/^(true|false)$/i)) return 'boolean';
  if (all(/^[-+]?\d+$/)) return present.every((v) => Math.abs(Number(v)) < 2 ** 31) ? 'integer' : 'bigint';
  if (all(/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/)) return 'numeric';
  if (all(/^\d{4}-\d{2}-\d{2}$/)) return 'date';
  if (all(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/)) return 'timestamp';
  if (all(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[-+]\d{2}(:?\d{2})?)$/)) return 'timestamptz';
  return 'text';
}

function copyError(error: unknown, step: SeedStep): ExecutionError {
  const pgError = error as { message?: string; where?: string };
  const where = /line (\d+)(?:, column ([^:]+))?/.exec(pgError.where ?? '');
  return new ExecutionError('seed-copy', `cannot load seed: ${pgError.message ?? String(error)}${where?.[2] ? ` (column ${where[2]})` : ''}`, {
    file: step.file,
    line: where ? Number(where[1]) : undefined,
    hint: where?.[2] ? `fix the value on that line, or declare column_types for ${where[2]} in the seed's properties` : 'check the CSV against the declared column_types',
    cause: error,
  });
}
