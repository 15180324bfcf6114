import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DIRT_NAMES, type DirtKind } from '../src/dirt.js';
import { readCsv, run } from './run.js';

// One medium run (clean timestamps are parsed; dirty ones are skipped where they would blur a statistic).
let out: string;
let users: Map<string, Record<string, string>>;
let views: Record<string, string>[];

const ISO_LOCAL = /^(\d{4}-\d{2}-\d{2})T(\d{2}):\d{2}:\d{2}[+-]\d{2}:\d{2}$/;

beforeAll(async () => {
  ({ out } = await run({ users: 1500, days: 120, seed: 11 }));
  users = new Map(readCsv(join(out, 'users.csv')).map((u) => [u.user_id!, u]));
  views = readCsv(join(out, 'views.csv'));
}, 120_000);

describe('the simulated platform', () => {
  it('peaks in the local evening in every region, with a weekend lift', () => {
    const byRegion = new Map<string, number[]>();
    const byWeekday = new Array<number>(7).fill(0);
    for (const view of views) {
      const match = ISO_LOCAL.exec(view.started_at ?? '');
      const user = users.get(view.user_id!);
      if (!match || !user) continue;
      const hours = byRegion.get(user.region!) ?? new Array<number>(24).fill(0);
      hours[Number(match[2])]!++;
      byRegion.set(user.region!, hours);
      byWeekday[new Date(`${match[1]}T12:00:00Z`).getUTCDay()]!++;
    }
    expect(byRegion.size).toBe(5);
    for (const [region, hours] of byRegion) {
      const peak = hours.indexOf(Math.max(...hours));
      expect(peak, region).toBeGreaterThanOrEqual(19);
      expect(peak, region).toBeLessThanOrEqual(22);
      expect(hours[20]! / Math.max(1, hours[4]!), region).toBeGreaterThan(8);
    }
    const weekend = (byWeekday[0]! + byWeekday[6]!) / 2;
    const weekdays = (byWeekday[1]! + byWeekday[2]! + byWeekday[3]! + byWeekday[4]!) / 4;
    expect(weekend / weekdays).toBeGreaterThan(1.15);
  });

  it('has heavy-tailed popularity: a tenth of the titles draws most views', () => {
    const content = readCsv(join(out, 'content.csv'));
    const showOf = new Map(content.map((c) => [c.content_id!, c.series_id || c.content_id!]));
    const counts = new Map<string, number>();
    for (const view of views) {
      const show = showOf.get(view.content_id!);
      if (show) counts.set(show, (counts.get(show) ?? 0) + 1);
    }
    const sorted = [...counts.values()].sort((a, b) => b - a);
    const total = sorted.reduce((a, b) => a + b, 0);
    const top = sorted.slice(0, Math.ceil(sorted.length / 10)).reduce((a, b) => a + b, 0);
    expect(top / total).toBeGreaterThan(0.5);
  });

  it('has regional tastes, and ratings that follow quality, which rises with newer releases', () => {
    const content = new Map(readCsv(join(out, 'content.csv')).map((c) => [c.content_id!, c]));
    const genreShare = new Map<string, Map<string, number>>();
    for (const view of views) {
      const title = content.get(view.content_id!);
      const region = users.get(view.user_id!)?.region;
      if (!title || !region) continue;
      const genre = title.listed_in!.split(',')[0]!.trim();
      const shares = genreShare.get(region) ?? new Map<string, number>();
      shares.set(genre, (shares.get(genre) ?? 0) + 1);
      genreShare.set(region, shares);
    }
    // Some genre's share of viewing differs between two regions by half or more.
    let widest = 1;
    const genres = new Set([...genreShare.values()].flatMap((m) => [...m.keys()]));
    for (const genre of genres) {
      const shares = [...genreShare.values()].map((m) => (m.get(genre) ?? 0) / [...m.values()].reduce((a, b) => a + b, 0));
      widest = Math.max(widest, Math.max(...shares) / Math.max(1e-9, Math.min(...shares)));
    }
    expect(widest).toBeGreaterThan(1.5);

    const quality = new Map(readCsv(join(out, 'truth/title_truth.csv')).map((t) => [t.content_id!, Number(t.quality)]));
    const ratings = readCsv(join(out, 'ratings.csv')).filter((r) => /^[1-5]$/.test(r.stars ?? '') && quality.has(r.content_id!));
    const byQuality = (good: boolean) => ratings.filter((r) => (quality.get(r.content_id!)! > 0) === good).map((r) => Number(r.stars));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(byQuality(true)) - mean(byQuality(false))).toBeGreaterThan(0.5);
    const byYear = new Map<number, number[]>();
    for (const title of content.values()) {
      if (title.content_type === 'Episode' || !quality.has(title.content_id!)) continue;
      const year = Number(title.release_year);
      byYear.set(year, [...(byYear.get(year) ?? []), quality.get(title.content_id!)!]);
    }
    const years = [...byYear.keys()].sort();
    expect(mean(byYear.get(years.at(-1)!)!) - mean(byYear.get(years[0]!)!)).toBeGreaterThan(0.4);
  });

  it('shows churners watching less before they cancel', () => {
    const cancels = readCsv(join(out, 'subscriptions.csv')).filter((e) => e.event_type === 'cancel' && ISO_LOCAL.test(e.event_at ?? ''));
    const viewDays = new Map<string, string[]>();
    for (const view of views) {
      const match = ISO_LOCAL.exec(view.started_at ?? '');
      if (match) viewDays.set(view.user_id!, [...(viewDays.get(view.user_id!) ?? []), match[1]!]);
    }
    let recent = 0;
    let earlier = 0;
    const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
    for (const cancel of cancels) {
      const at = day(cancel.event_at!.slice(0, 10));
      if (at - day('2024-01-01') < 56) continue;
      for (const d of viewDays.get(cancel.user_id!) ?? []) {
        const before = at - day(d);
        if (before > 0 && before <= 28) recent++;
        else if (before > 28 && before <= 56) earlier++;
      }
    }
    expect(cancels.length).toBeGreaterThan(30);
    expect(recent / earlier).toBeLessThan(0.8);
  });

  it('applies every kind of dirt within 20 % of its configured rate', async () => {
    const rates: Partial<Record<DirtKind, number>> = { malformed_line: 0.01, orphan_key: 0.01, impossible_value: 0.02, near_duplicate: 0.02 };
    const dirty = await run({ users: 800, days: 60, seed: 12, dirt: rates });
    const summary = JSON.parse(readFileSync(join(dirty.out, 'truth/dirt.json'), 'utf8')) as Record<DirtKind, { configured_rate: number; eligible: number; applied: number }>;
    for (const kind of DIRT_NAMES) {
      const { configured_rate, eligible, applied } = summary[kind];
      expect(eligible, kind).toBeGreaterThan(2000);
      expect(applied / eligible / configured_rate, kind).toBeGreaterThan(0.8);
      expect(applied / eligible / configured_rate, kind).toBeLessThan(1.2);
    }
    // The defects are in the files as counted: malformed view lines have the wrong number of fields.
    const lines = readFileSync(join(dirty.out, 'views.csv'), 'utf8').trim().split('\n').slice(1);
    const malformed = lines.filter((line) => line.split(',').length !== 8).length;
    expect(malformed / summary.malformed_line.applied).toBeGreaterThan(0.9);
    expect(malformed).toBeLessThanOrEqual(summary.malformed_line.applied);
  });

  it('writes a true churn probability that matches what happened', () => {
    const truth = readCsv(join(out, 'truth/churn_truth.csv'));
    expect(truth.length).toBeGreaterThan(3000);
    const p = truth.map((t) => Number(t.churn_probability_30d));
    const y = truth.map((t) => Number(t.churned_within_30d));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // Calibrated on average, and ranking churners above stayers far better than chance.
    expect(mean(y) / mean(p)).toBeGreaterThan(0.75);
    expect(mean(y) / mean(p)).toBeLessThan(1.25);
    expect(auc(p, y)).toBeGreaterThan(0.7);
    // Truth never leaks into the feeds.
    expect(readFileSync(join(out, 'users.csv'), 'utf8')).not.toMatch(/churn|frailty|taste/);
  });
});

function auc(scores: number[], labels: number[]): number {
  const order = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  let positives = 0;
  order.forEach(([, label], i) => {
    if (label === 1) {
      rankSum += i + 1;
      positives++;
    }
  });
  const negatives = order.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
