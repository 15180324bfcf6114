import type { Random } from './random.js';
import { DAY_MS, formatClock, formatDay, formatLocal, formatOffset } from './time-zones.js';

/** Each defect the raw feeds carry, its default rate and where it occurs. docs/simulator.md lists them. */
export const DIRT_KINDS = {
  exact_duplicate: { rate: 0.005, where: 'views, ratings and subscription events sent twice, byte for byte' },
  near_duplicate: { rate: 0.003, where: 'views re-sent with a new view_id, the start a few seconds off and seconds_watched slightly different' },
  late_arrival: { rate: 0.02, where: 'views, ratings and subscription events whose ingested_at is 1–7 days after the event (held back to a later batch when past the run)' },
  null_blank: { rate: 0.01, where: 'optional fields left empty or written NULL / null / N/A: device, country, plan, age_band, acquisition_channel, listed_in' },
  inconsistent_category: { rate: 0.05, where: 'country, genre (listed_in) and device with other casing or stray whitespace, or the country name for its code' },
  mixed_timestamp: { rate: 0.03, where: 'event timestamps as UTC with Z, without an offset, as epoch seconds or as MM/DD/YYYY HH:MM instead of ISO 8601 local time with offset' },
  impossible_value: { rate: 0.002, where: 'seconds_watched negative or over a day; stars outside 1–5' },
  orphan_key: { rate: 0.001, where: 'views and ratings naming a user or title that does not exist' },
  malformed_line: { rate: 0.0002, where: 'view lines cut short (two fields missing) or with one field too many' },
} as const;

export type DirtKind = keyof typeof DIRT_KINDS;
export const DIRT_NAMES = Object.keys(DIRT_KINDS) as DirtKind[];

/** Configured rates (defaults × --dirty-rate, then per-kind overrides) and what was applied. */
export class Dirt {
  readonly rates: Readonly<Record<DirtKind, number>>;
  readonly eligible: Record<DirtKind, number>;
  readonly applied: Record<DirtKind, number>;

  constructor(multiplier: number, overrides: Partial<Record<DirtKind, number>> = {}) {
    const rates = {} as Record<DirtKind, number>;
    const zero = {} as Record<DirtKind, number>;
    for (const kind of DIRT_NAMES) {
      rates[kind] = overrides[kind] ?? DIRT_KINDS[kind].rate * multiplier;
      zero[kind] = 0;
    }
    this.rates = rates;
    this.eligible = { ...zero };
    this.applied = { ...zero };
  }

  /** The dirt of one writer (a user, a title), drawing from its random stream. */
  stream(random: Random): DirtStream {
    return new DirtStream(this, random);
  }

  summary(): Record<DirtKind, { configured_rate: number; eligible: number; applied: number; where: string }> {
    const out = {} as Record<DirtKind, { configured_rate: number; eligible: number; applied: number; where: string }>;
    for (const kind of DIRT_NAMES) out[kind] = { configured_rate: this.rates[kind], eligible: this.eligible[kind], applied: this.applied[kind], where: DIRT_KINDS[kind].where };
    return out;
  }
}

const BLANKS = ['', '', 'NULL', 'null', 'N/A'];

/** Eligible values until the next hit (≥ 1): geometric with success probability `rate`. */
function nextGap(rate: number, random: Random): number {
  if (rate <= 0) return Number.POSITIVE_INFINITY;
  if (rate >= 1) return 1;
  return 1 + Math.floor(Math.log(1 - random.float()) / Math.log(1 - rate));
}

/**
 * Decides which values get dirty. Instead of a random number per value, the gap to the next hit of
 * each kind is drawn (geometric), so clean values cost a counter decrement.
 */
export class DirtStream {
  private readonly countdown: Float64Array;

  constructor(
    private readonly dirt: Dirt,
    readonly random: Random,
  ) {
    this.countdown = Float64Array.from(DIRT_NAMES, (kind) => nextGap(dirt.rates[kind], random));
  }

  /** Whether to apply `kind` to one eligible value, counting both. */
  hit(kind: DirtKind): boolean {
    this.dirt.eligible[kind]++;
    const i = KIND_INDEX[kind];
    const left = this.countdown[i]! - 1;
    if (left > 0) {
      this.countdown[i] = left;
      return false;
    }
    this.countdown[i] = nextGap(this.dirt.rates[kind], this.random);
    this.dirt.applied[kind]++;
    return true;
  }

  /** An optional value, sometimes blank. */
  optional(value: string): string {
    return this.hit('null_blank') ? this.random.pick(BLANKS) : value;
  }

  /** A category value (country code, genre list, device), sometimes spelt differently. */
  category(value: string, longName?: string): string {
    if (!this.hit('inconsistent_category')) return value;
    // Only variants that really differ from the value.
    const variants = [` ${value}`, `${value}  `, value.toLowerCase(), value.toUpperCase(), ...(longName ? [longName] : [])].filter((v) => v !== value);
    return this.random.pick(variants);
  }

  /** An event time: ISO 8601 in the user's local time with offset, or (dirty) another format. */
  timestamp(utcMs: number, offsetMinutes: number): string {
    const localMs = utcMs + offsetMinutes * 60_000;
    const day = Math.floor(localMs / DAY_MS);
    const second = Math.floor((localMs - day * DAY_MS) / 1000);
    if (!this.hit('mixed_timestamp')) return `${formatDay(day)}T${formatClock(second)}${formatOffset(offsetMinutes)}`;
    const local = formatLocal(day, second);
    switch (this.random.int(4)) {
      case 0: {
        const utcDay = Math.floor(utcMs / DAY_MS);
        return `${formatLocal(utcDay, Math.floor((utcMs - utcDay * DAY_MS) / 1000))}Z`;
      }
      case 1:
        return local.replace('T', ' ');
      case 2:
        return String(Math.floor(utcMs / 1000));
      default: {
        const [y, m, d] = formatDay(day).split('-');
        return `${m}/${d}/${y} ${local.slice(11, 16)}`;
      }
    }
  }
}

const KIND_INDEX = Object.fromEntries(DIRT_NAMES.map((kind, i) => [kind, i])) as Record<DirtKind, number>;

/** `2024-03-01T20:15:00Z`: when a row reached the platform, always clean (the loader's clock). */
export function ingestedAt(utcMs: number): string {
  const day = Math.floor(utcMs / DAY_MS);
  return `${formatDay(day)}T${formatClock(Math.floor((utcMs - day * DAY_MS) / 1000))}Z`;
}
