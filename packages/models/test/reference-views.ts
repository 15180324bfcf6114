// An independent reading of the simulator's raw files: which viewing sessions can be kept and why the
// others cannot, written from the rules in packages/models/README.md without the SQL, so that a test
// can hold the staging models to it on dirty data.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';

export interface ReferenceViews {
  /** Kept sessions: member, UTC start (ms) and seconds watched. */
  readonly kept: readonly { readonly userId: string; readonly startedAt: number; readonly seconds: number }[];
  /** Rejected rows by reason, with the staging models' wording. */
  readonly rejected: Readonly<Record<string, number>>;
}

type Row = Record<string, string>;

/** Rows with as many fields as the header: the loader keeps the others in raw.load_rejects. */
function rows(path: string): Row[] {
  const [header, ...records] = parse(readFileSync(path), { relax_column_count: true, bom: true }) as string[][];
  return records.filter((r) => r.length === header!.length).map((r) => Object.fromEntries(header!.map((name, i) => [name, r[i]!])));
}

const ID = /^\d{1,18}$/;
const id = (text: string) => (ID.test(text.trim()) ? BigInt(text.trim()).toString() : undefined);

/** UTC milliseconds of a wall-clock time in an IANA time zone. */
function zoned(year: number, month: number, day: number, hour: number, minute: number, second: number, zone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  const offsetAt = (t: number) => {
    const p = Object.fromEntries(format.formatToParts(t).map((part) => [part.type, Number(part.value)]));
    return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - t;
  };
  const guess = wall - offsetAt(wall);
  return wall - offsetAt(guess);
}

/** The five formats of the feeds' event times; undefined for anything else. */
export function eventTime(text: string, zone: string | undefined): number | undefined {
  let m: RegExpMatchArray | null;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)$/.test(text)) return Date.parse(text);
  if ((m = text.match(/^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/))) return zone === undefined ? undefined : zoned(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, zone);
  if (/^\d{9,11}$/.test(text)) return Number(text) * 1000;
  if ((m = text.match(/^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2})$/))) return zone === undefined ? undefined : zoned(+m[3]!, +m[1]!, +m[2]!, +m[4]!, +m[5]!, 0, zone);
  return undefined;
}

/** First copy of each key, in order of arrival (then `tiebreak`). */
function firstCopies<T extends Row>(list: readonly T[], key: (row: T) => string | undefined, tiebreak: (row: T) => string = () => ''): Set<T> {
  const first = new Map<string, T>();
  for (const row of [...list].sort((a, b) => (a.ingested_at! < b.ingested_at! ? -1 : a.ingested_at! > b.ingested_at! ? 1 : tiebreak(a) < tiebreak(b) ? -1 : tiebreak(a) > tiebreak(b) ? 1 : 0))) {
    const k = key(row);
    if (k !== undefined && !first.has(k)) first.set(k, row);
  }
  return new Set(first.values());
}

export function referenceViews(dir: string): ReferenceViews {
  const users = rows(join(dir, 'users.csv'));
  const firstUsers = firstCopies(users, (u) => u.user_id!.trim());
  const zones = new Map<string, string>();
  for (const u of firstUsers) {
    const key = id(u.user_id!);
    if (key !== undefined && u.time_zone && eventTime(u.signup_at!, u.time_zone) !== undefined) zones.set(key, u.time_zone);
  }
  const content = rows(join(dir, 'content.csv'));
  const titles = new Set([...firstCopies(content, (c) => c.content_id!.trim() || undefined)].filter((c) => ['Movie', 'TV Show', 'Episode'].includes(c.content_type!)).map((c) => c.content_id!.trim()));

  const views = rows(join(dir, 'views.csv'));
  const first = firstCopies(views, (v) => id(v.view_id!), (v) => v.started_at!);
  const parsed = views.map((v) => {
    const userId = id(v.user_id!);
    const zone = userId === undefined ? undefined : zones.get(userId);
    const seconds = /^-?\d{1,9}$/.test(v.seconds_watched!.trim()) ? Number(v.seconds_watched!.trim()) : undefined;
    return { v, viewId: id(v.view_id!), userId, zone, title: v.content_id!.trim(), startedAt: eventTime(v.started_at!, zone), seconds };
  });
  // Near duplicates: among first copies of the same member (parsed id) and title, a start within 10 s of the previous one.
  const near = new Set<(typeof parsed)[number]>();
  const groups = new Map<string, (typeof parsed)[number][]>();
  for (const p of parsed) {
    if (p.viewId === undefined || !first.has(p.v)) continue;
    const key = `${p.userId ?? ''}\u0000${p.title}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  for (const group of groups.values()) {
    const timed = [...group];
    timed.sort((a, b) => (a.startedAt ?? Infinity) - (b.startedAt ?? Infinity) || Number(BigInt(a.viewId!) - BigInt(b.viewId!)));
    for (let i = 1; i < timed.length; i++) {
      const [before, now] = [timed[i - 1]!.startedAt, timed[i]!.startedAt];
      if (before !== undefined && now !== undefined && now - before < 10_000) near.add(timed[i]!);
    }
  }
  const kept: { userId: string; startedAt: number; seconds: number }[] = [];
  const rejected: Record<string, number> = {};
  for (const p of parsed) {
    const reason =
      p.viewId === undefined ? 'view_id is not a number'
      : !first.has(p.v) ? 'duplicate view_id'
      : p.zone === undefined ? 'unknown member'
      : !titles.has(p.title) ? 'unknown title'
      : p.startedAt === undefined ? 'started_at in no known format'
      : p.seconds === undefined || p.seconds < 0 || p.seconds > 86_400 ? 'impossible seconds_watched'
      : near.has(p) ? 'near duplicate of an earlier session'
      : undefined;
    if (reason) rejected[reason] = (rejected[reason] ?? 0) + 1;
    else kept.push({ userId: p.userId!, startedAt: p.startedAt!, seconds: p.seconds! });
  }
  return { kept, rejected };
}
