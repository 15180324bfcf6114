import { join } from 'node:path';
import pc from 'picocolors';
import { artifactMetadata, newInvocation } from '../artifacts/metadata.js';
import { writeJsonAtomic } from '../artifacts/write-json.js';
import type { Output } from '../cli/output.js';
import { openDatabase } from '../execute/connection/open-database.js';
import { selectNodes } from '../graph/select.js';
import type { SourceNode } from '../graph/nodes.js';
import { quoteRelation } from '../sql/quote.js';
import { selectionContext } from '../state/selection-state.js';
import { commandContext, compileWith, type CommonOptions } from './context.js';
import { targetDir } from './write-compiled.js';

export interface FreshnessCommandOptions extends CommonOptions {
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  readonly state?: string;
  readonly threads?: number;
}

interface Duration {
  readonly count: number;
  readonly period: 'minute' | 'hour' | 'day';
}

interface FreshnessCriteria {
  readonly warn_after?: Duration;
  readonly error_after?: Duration;
  readonly filter?: string;
}

type FreshnessStatus = 'pass' | 'warn' | 'error' | 'runtime error';

export interface FreshnessResult {
  readonly source: SourceNode;
  readonly status: FreshnessStatus;
  readonly maxLoadedAt?: Date;
  readonly snapshottedAt?: Date;
  readonly ageSeconds?: number;
  readonly criteria: FreshnessCriteria;
  readonly message: string;
  readonly executionTime: number;
}

const SECONDS = { minute: 60, hour: 3600, day: 86_400 } as const;

/** Pure: the status of a source whose newest row is `ageSeconds` old. */
export function freshnessStatus(ageSeconds: number, criteria: FreshnessCriteria): 'pass' | 'warn' | 'error' {
  const limit = (d?: Duration) => (d ? d.count * SECONDS[d.period] : Infinity);
  if (ageSeconds > limit(criteria.error_after)) return 'error';
  if (ageSeconds > limit(criteria.warn_after)) return 'warn';
  return 'pass';
}

/**
 * `model source freshness`: for each selected source with `freshness` and `loaded_at_field`, the
 * newest `loaded_at_field` against warn_after / error_after; writes target/sources.json (dbt's
 * sources artifact shape). Exit 1 when any source is past error_after or cannot be queried.
 */
export async function freshnessCommand(options: FreshnessCommandOptions, output: Output): Promise<number> {
  const started = performance.now();
  const invocation = newInvocation();
  const context = commandContext(options);
  const compiled = await compileWith(context);
  const selected = selectNodes(compiled.graph, options.select?.length ? options.select : ['resource_type:source'], options.exclude ?? [], selectionContext(compiled, options.state));
  const sources = [...selected]
    .map((id) => compiled.graph.nodes.get(id)!)
    .filter((node): node is SourceNode => node.kind === 'source')
    .sort((a, b) => a.uniqueId.localeCompare(b.uniqueId));
  const checked = sources.filter((s) => s.freshness && s.loadedAtField);
  const unchecked = sources.length - checked.length;
  if (checked.length === 0) {
    output.out(`No selected source has both freshness and loaded_at_field${unchecked ? ` (${unchecked} selected without)` : ''}; nothing to check.`);
    return 0;
  }
  const database = await openDatabase(context.target, { projectRoot: context.root, threads: options.threads ?? context.target.threads ?? 4 });
  const results: FreshnessResult[] = [];
  try {
    await Promise.all(
      checked.map(async (source) => {
        const criteria = source.freshness as FreshnessCriteria;
        const began = performance.now();
        const where = criteria.filter ? ` where ${criteria.filter}` : '';
        try {
          const { rows } = await database.pool.query<{ max_loaded_at: Date | null; snapshotted_at: Date; age: number | null }>(
            `select max(${source.loadedAtField}) as max_loaded_at, now() as snapshotted_at, extract(epoch from now() - max(${source.loadedAtField}))::float8 as age from ${quoteRelation(source.relation)}${where}`,
          );
          const row = rows[0]!;
          const executionTime = (performance.now() - began) / 1000;
          if (row.max_loaded_at === null || row.age === null) {
            results.push({ source, status: 'error', criteria, snapshottedAt: row.snapshotted_at, executionTime, message: `no rows${where ? ' match the filter' : ''}: the newest ${source.loadedAtField} is null` });
            return;
          }
          const status = freshnessStatus(row.age, criteria);
          results.push({ source, status, criteria, maxLoadedAt: row.max_loaded_at, snapshottedAt: row.snapshotted_at, ageSeconds: row.age, executionTime, message: `newest row loaded ${ago(row.age)} ago (${row.max_loaded_at.toISOString()})` });
        } catch (error) {
          const message = (error as Error).message;
          results.push({ source, status: 'runtime error', criteria, executionTime: (performance.now() - began) / 1000, message });
        }
      }),
    );
  } finally {
    await database.close();
  }
  results.sort((a, b) => a.source.uniqueId.localeCompare(b.source.uniqueId));
  results.forEach((r, i) => {
    const color = r.status === 'pass' ? pc.green : r.status === 'warn' ? pc.yellow : pc.red;
    const limits = [r.criteria.warn_after ? `warn after ${describe(r.criteria.warn_after)}` : '', r.criteria.error_after ? `error after ${describe(r.criteria.error_after)}` : ''].filter(Boolean).join(', ');
    output.out(`${pc.dim(`${i + 1} of ${results.length}`)} ${color(r.status.toUpperCase())} freshness of ${r.source.sourceName}.${r.source.tableName}: ${r.message}${limits ? ` [${limits}]` : ''}`);
    if (r.status === 'error' || r.status === 'runtime error') {
      const fix = r.status === 'runtime error' ? `check loaded_at_field "${r.source.loadedAtField}"${r.criteria.filter ? ' and the filter' : ''} (an expression on ${quoteRelation(r.source.relation)})` : 'load fresh data, or loosen error_after if this feed is expected to lag';
      output.out(`    ${pc.dim(`${r.source.file}:${r.source.line}`)}  fix: ${fix}`);
    }
  });
  const elapsed = (performance.now() - started) / 1000;
  writeJsonAtomic(join(targetDir(compiled), 'sources.json'), {
    metadata: artifactMetadata('https://schemas.getdbt.com/dbt/sources/v3.json', invocation),
    results: results.map((r) => ({
      unique_id: r.source.uniqueId,
      status: r.status,
      max_loaded_at: r.maxLoadedAt?.toISOString() ?? null,
      snapshotted_at: r.snapshottedAt?.toISOString() ?? null,
      max_loaded_at_time_ago_in_s: r.ageSeconds ?? null,
      criteria: { warn_after: r.criteria.warn_after ?? { count: null, period: null }, error_after: r.criteria.error_after ?? { count: null, period: null }, filter: r.criteria.filter ?? null },
      adapter_response: {},
      timing: [],
      thread_id: 'main',
      execution_time: r.executionTime,
      ...(r.status === 'runtime error' ? { error: r.message } : {}),
    })),
    elapsed_time: elapsed,
  });
  const counts = (s: FreshnessStatus) => results.filter((r) => r.status === s).length;
  output.out('');
  output.out(`Checked ${results.length} source${results.length === 1 ? '' : 's'} in ${elapsed.toFixed(2)}s: ${counts('pass')} pass, ${counts('warn')} warn, ${counts('error') + counts('runtime error')} error${unchecked ? `; ${unchecked} selected without freshness` : ''}. Results in target/sources.json.`);
  return counts('error') + counts('runtime error') > 0 ? 1 : 0;
}

function describe(d: Duration): string {
  return `${d.count} ${d.period}${d.count === 1 ? '' : 's'}`;
}

function ago(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}
