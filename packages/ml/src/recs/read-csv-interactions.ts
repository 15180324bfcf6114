import { createReadStream, existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { closest } from 'fastest-levenshtein';
import { MlInputError } from '../errors.js';
import { InteractionDataBuilder, type InteractionData } from './interaction-data.js';
import { DEFAULT_POSITIONS, formatColumnMapping, guessRoles, looksLikeHeader, type InteractionSource, type Role } from './interaction-source.js';

/** How a source is read for a time-based holdout: at a given time, or at a quantile of the event times. */
export interface CutoffRequest {
  /** ms since the epoch; when absent, the time by which `1 − testShare` of the events had happened. */
  readonly at?: number;
  readonly testShare: number;
}

type CsvSource = Extract<InteractionSource, { kind: 'csv' }>;

/**
 * Reads a CSV / TSV file of interactions, one per line: a user, an item and optionally a rating,
 * a time (epoch seconds or milliseconds, or an ISO date), seconds watched and a completion share.
 * Every bad line stops the read with one sentence naming the file, the line and the fix.
 */
export async function readCsvInteractions(source: CsvSource, cutoff?: CutoffRequest): Promise<InteractionData> {
  const file = source.file;
  const name = basename(file);
  if (!existsSync(file)) {
    throw new MlInputError('no-such-file', `the interactions file ${file} does not exist`, { hint: 'check the path given to --csv' });
  }
  const firstLine = readFirstLine(file);
  if (firstLine.trim() === '') {
    throw new MlInputError('empty-source', `${file} is empty: there are no interactions to train on`, { hint: 'give a file with one interaction per line, e.g. user,item,rating,timestamp' });
  }
  const delimiter = source.delimiter === undefined ? sniffDelimiter(firstLine) : source.delimiter === 'tab' || source.delimiter === '\\t' ? '\t' : source.delimiter;
  const delimiterName = delimiter === '\t' ? 'tab' : `"${delimiter}"`;

  const events = new EventColumns();
  let roles: (Role | null)[] | undefined;
  let header = false;
  let records = 0;
  const sink = new Writable({
    objectMode: true,
    write(entry: { record: string[]; info: { lines: number } }, _encoding, done) {
      try {
        const { record, info } = entry;
        if (!roles) {
          header = source.header ?? looksLikeHeader(record, source.columns);
          roles = resolveRoles(file, record, header, source);
          if (header) return done();
        }
        records++;
        events.add(file, info.lines, record, roles, delimiterName);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
  try {
    await pipeline(createReadStream(file), parse({ delimiter, bom: true, skip_empty_lines: true, relax_column_count: true, relax_quotes: true, info: true, trim: true }), sink);
  } catch (error) {
    if (error instanceof MlInputError) throw error;
    const e = error as { lines?: number; message?: string };
    throw new MlInputError('csv-unreadable', `${file}${e.lines ? ` line ${e.lines}` : ''} is not valid delimited text: ${e.message ?? String(error)}`, {
      hint: `fix that line, or pass --delimiter if the fields are not separated by ${delimiterName}`,
    });
  }
  if (records === 0) {
    throw new MlInputError('empty-source', `${file} has a header line but no interactions`, { hint: 'give a file with one interaction per line after the header' });
  }
  const present = new Set(roles!.filter((r): r is Role => r !== null));
  const signals = { time: present.has('timestamp'), rating: present.has('rating'), seconds: present.has('seconds'), completion: present.has('completion') };
  if (cutoff && !signals.time) {
    throw new MlInputError('no-time-column', `the time-based holdout needs a timestamp column, and ${file} has none (its columns are read as ${roles!.map((r) => r ?? '-').join(',')})`, {
      hint: 'add timestamp to --columns, or use --protocol random',
    });
  }
  const at = cutoff ? (cutoff.at ?? quantile(events.times(), 1 - cutoff.testShare)) : undefined;
  return events.aggregate(at).finish(`${name} (${records.toLocaleString('en')} lines)`, signals, at === undefined ? {} : { cutoff: at });
}

/** Parses one field as a time: epoch seconds (or milliseconds, from 10^11 on), or a date the JS Date parser takes (ISO 8601). */
export function parseTime(text: string): number {
  if (/^-?\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    return Math.abs(n) >= 1e11 ? n : n * 1000;
  }
  return Date.parse(text);
}

/** The value at quantile q of the (non-NaN) times, as PostgreSQL's percentile_disc: the first whose cumulative share reaches q. */
export function quantile(times: Float64Array, q: number): number {
  const sorted = times.filter((t) => !Number.isNaN(t)).sort();
  if (sorted.length === 0) return Number.NaN;
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[k]!;
}

function readFirstLine(file: string): string {
  if (statSync(file).size === 0) return '';
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(65_536);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, n).toString('utf8').replace(/^\uFEFF/, '');
    // The first non-empty line.
    return text.split(/\r?\n/).find((line) => line.trim() !== '') ?? '';
  } finally {
    closeSync(fd);
  }
}

/** Tab, `::` (MovieLens 1M), comma, semicolon or pipe, whichever the first line has (in that order). */
export function sniffDelimiter(line: string): string {
  for (const candidate of ['\t', '::', ',', ';', '|']) if (line.includes(candidate)) return candidate;
  return ',';
}

function resolveRoles(file: string, first: string[], header: boolean, source: CsvSource): (Role | null)[] {
  const mapping = source.columns;
  if (mapping?.kind === 'positions' || (!header && !mapping)) {
    const roles = mapping?.kind === 'positions' ? [...mapping.roles] : [...DEFAULT_POSITIONS];
    for (const needed of ['user', 'item'] as const) {
      if (!roles.includes(needed)) throw new MlInputError('missing-column', `--columns ${formatColumnMapping({ kind: 'positions', roles })} does not say which field of ${file} holds the ${needed}`, { hint: `add ${needed} at its position, e.g. --columns user,item,rating,timestamp` });
    }
    return roles;
  }
  if (!header) {
    throw new MlInputError('mapping-needs-header', `--columns ${formatColumnMapping(mapping!)} names header columns, but the first line of ${file} is not a header`, {
      hint: 'give the roles by position instead, e.g. --columns user,item,rating,timestamp, or pass --header if that line is one',
    });
  }
  const names = mapping?.kind === 'names' ? { ...guessRoles(first), ...mapping.names } : guessRoles(first);
  // A role the mapping names must be there; a guessed one is there by construction.
  const columns = first.map((h) => h.trim());
  for (const [role, column] of Object.entries(names) as [Role, string][]) {
    if (!columns.includes(column)) {
      const near = closest(column, columns);
      throw new MlInputError('missing-column', `${file} has no column "${column}" (the ${role}); its columns are ${columns.join(', ')}${near ? ` — did you mean "${near}"?` : ''}`, {
        hint: `name the ${role} column with --columns ${role}=<column>`,
      });
    }
  }
  for (const needed of ['user', 'item'] as const) {
    if (!names[needed]) {
      throw new MlInputError('missing-column', `${file} has no column recognisable as the ${needed} (its columns are ${columns.join(', ')})`, {
        hint: `say which it is with --columns ${needed}=<column>${needed === 'user' ? ',item=<column>' : ''}`,
      });
    }
  }
  return columns.map((h) => (Object.entries(names).find(([, c]) => c === h)?.[0] as Role | undefined) ?? null);
}

/** The events of a file, by column, before they are summed into pairs. */
class EventColumns {
  private readonly userIds = new Map<string, number>();
  private readonly itemIds = new Map<string, number>();
  private readonly userNames: string[] = [];
  private readonly itemNames: string[] = [];
  private users: number[] = [];
  private items: number[] = [];
  private readonly timeValues: number[] = [];
  private readonly ratings: number[] = [];
  private readonly seconds: number[] = [];
  private readonly completions: number[] = [];

  add(file: string, line: number, record: string[], roles: readonly (Role | null)[], delimiterName: string): void {
    if (record.length < roles.length) {
      throw new MlInputError('short-line', `${file} line ${line} has ${record.length} field${record.length === 1 ? '' : 's'} where ${roles.length} are expected (${roles.map((r) => r ?? '-').join(',')})`, {
        hint: `fix that line, or check the separator (${delimiterName}; --delimiter sets another) and --columns`,
      });
    }
    let user = '';
    let item = '';
    let time = Number.NaN;
    let rating = Number.NaN;
    let seconds = Number.NaN;
    let completion = Number.NaN;
    for (let f = 0; f < roles.length; f++) {
      const role = roles[f];
      if (!role) continue;
      const text = record[f]!;
      switch (role) {
        case 'user':
          user = text;
          break;
        case 'item':
          item = text;
          break;
        case 'timestamp':
          time = text === '' ? Number.NaN : parseTime(text);
          if (text !== '' && Number.isNaN(time)) throw badValue(file, line, role, text, 'is neither epoch seconds nor a date');
          break;
        default: {
          const value = text === '' ? Number.NaN : Number(text);
          if (text !== '' && !Number.isFinite(value)) throw badValue(file, line, role, text, 'is not a number');
          if (role === 'rating') rating = value;
          else if (role === 'seconds') seconds = value;
          else completion = value;
        }
      }
    }
    if (user === '' || item === '') {
      throw new MlInputError('empty-id', `${file} line ${line} has an empty ${user === '' ? 'user' : 'item'}`, { hint: 'fix or delete that line' });
    }
    this.users.push(intern(this.userIds, this.userNames, user));
    this.items.push(intern(this.itemIds, this.itemNames, item));
    this.timeValues.push(time);
    this.ratings.push(rating);
    this.seconds.push(seconds);
    this.completions.push(completion);
  }

  times(): Float64Array {
    return Float64Array.from(this.timeValues);
  }

  /** Each line is one event, early or late by the cut-off. */
  aggregate(cutoff?: number): InteractionDataBuilder {
    const builder = new InteractionDataBuilder();
    for (let e = 0; e < this.users.length; e++) {
      const time = this.timeValues[e]!;
      const rating = this.ratings[e]!;
      const seconds = this.seconds[e]!;
      const completion = this.completions[e]!;
      builder.add({
        user: this.userNames[this.users[e]!]!,
        item: this.itemNames[this.items[e]!]!,
        late: cutoff !== undefined && time >= cutoff,
        events: 1,
        firstAt: time,
        lastAt: time,
        seconds: Number.isNaN(seconds) ? 0 : seconds,
        completionSum: Number.isNaN(completion) ? 0 : completion,
        completionCount: Number.isNaN(completion) ? 0 : 1,
        ratingSum: Number.isNaN(rating) ? 0 : rating,
        ratingCount: Number.isNaN(rating) ? 0 : 1,
      });
    }
    this.users = [];
    this.items = [];
    return builder;
  }
}

function badValue(file: string, line: number, role: Role, text: string, what: string): MlInputError {
  return new MlInputError('bad-value', `${file} line ${line}: the ${role} "${text.slice(0, 40)}" ${what}`, {
    hint: `fix that line, or check which field --columns maps to the ${role}`,
  });
}

function intern(index: Map<string, number>, list: string[], id: string): number {
  let i = index.get(id);
  if (i === undefined) {
    i = list.length;
    index.set(id, i);
    list.push(id);
  }
  return i;
}
