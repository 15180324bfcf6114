const DAY_MS = 86_400_000;

/**
 * UTC offsets of IANA time zones, by local calendar day, from the platform's time-zone database
 * (Intl). Looked up once per zone and day and cached: formatting millions of timestamps through Intl
 * would dominate the run.
 */
export class TimeZones {
  private readonly formatters = new Map<string, Intl.DateTimeFormat>();
  private readonly offsets = new Map<string, number>();

  private readonly tables = new Map<string, Int16Array>();

  /** Offsets of `zone` for days `from` (inclusive) to `to` (exclusive), for fast lookup in a loop. */
  table(zone: string, from: number, to: number): Int16Array {
    const key = `${zone}|${from}|${to}`;
    let table = this.tables.get(key);
    if (!table) {
      table = new Int16Array(to - from);
      for (let day = from; day < to; day++) table[day - from] = this.offsetMinutes(zone, day);
      this.tables.set(key, table);
    }
    return table;
  }

  /** Offset in minutes (local − UTC) in force at noon UTC of the given day number (days since epoch). */
  offsetMinutes(zone: string, day: number): number {
    const key = `${zone}|${day}`;
    let offset = this.offsets.get(key);
    if (offset === undefined) {
      offset = this.compute(zone, day * DAY_MS + DAY_MS / 2);
      this.offsets.set(key, offset);
    }
    return offset;
  }

  private compute(zone: string, utcMs: number): number {
    let formatter = this.formatters.get(zone);
    if (!formatter) {
      formatter = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
      this.formatters.set(zone, formatter);
    }
    const parts: Record<string, number> = {};
    for (const part of formatter.formatToParts(new Date(utcMs))) if (part.type !== 'literal') parts[part.type] = Number(part.value);
    const local = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!);
    return Math.round((local - Math.floor(utcMs / 60_000) * 60_000) / 60_000);
  }
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

const offsetTexts = new Map<number, string>();

/** `+05:30` for 330 minutes. */
export function formatOffset(minutes: number): string {
  let text = offsetTexts.get(minutes);
  if (text === undefined) {
    text = offsetText(minutes);
    offsetTexts.set(minutes, text);
  }
  return text;
}

function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

const dateCache = new Map<number, string>();

/** `YYYY-MM-DD` of a day number. */
export function formatDay(day: number): string {
  let text = dateCache.get(day);
  if (text === undefined) {
    text = new Date(day * DAY_MS).toISOString().slice(0, 10);
    dateCache.set(day, text);
  }
  return text;
}

let clock: string[] | undefined;

/** `HH:MM:SS` of a second of the day, from a table built once. */
export function formatClock(secondOfDay: number): string {
  if (!clock) {
    clock = new Array<string>(86_400);
    for (let s = 0; s < 86_400; s++) clock[s] = `${pad2(Math.floor(s / 3600))}:${pad2(Math.floor((s % 3600) / 60))}:${pad2(s % 60)}`;
  }
  return clock[secondOfDay]!;
}

/** `YYYY-MM-DDTHH:MM:SS` of a local day number and second of the day. */
export function formatLocal(day: number, secondOfDay: number): string {
  return `${formatDay(day)}T${formatClock(secondOfDay)}`;
}

/** Days since 1970-01-01 of an ISO date (`2024-01-31`). */
export function dayNumber(isoDate: string): number {
  return Math.floor(Date.parse(`${isoDate}T00:00:00Z`) / DAY_MS);
}

export { DAY_MS };
