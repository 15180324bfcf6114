const DAY_MS = 86_400_000;

/**
 * UTC offsets of IANA time zones, by local calendar day, from the platform's time-zone database
 * (Intl). Looked up once per zone and day and cached: formatting millions of timestamps through Intl
 * would dominate the run.
 */
export class TimeZones {
  private readonly formatters = new Map<string, Intl.DateTimeFormat>();
  private readonly offsets = new Map<string, number>();

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

/** `+05:30` for 330 minutes. */
export function formatOffset(minutes: number): string {
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

/** `YYYY-MM-DDTHH:MM:SS` of a local day number and second of the day. */
export function formatLocal(day: number, secondOfDay: number): string {
  const h = Math.floor(secondOfDay / 3600);
  const m = Math.floor((secondOfDay % 3600) / 60);
  const s = secondOfDay % 60;
  return `${formatDay(day)}T${pad2(h)}:${pad2(m)}:${pad2(s)}`;
}

/** Days since 1970-01-01 of an ISO date (`2024-01-31`). */
export function dayNumber(isoDate: string): number {
  return Math.floor(Date.parse(`${isoDate}T00:00:00Z`) / DAY_MS);
}

export { DAY_MS };
