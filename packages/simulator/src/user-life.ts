import type { Title } from './catalog.js';
import { csvField } from './csv-writer.js';
import { Dirt, ingestedAt } from './dirt.js';
import { AGE_BANDS, CHANNELS, COUNTRIES, DEVICES, PLANS, REGIONS, type Country } from './geography.js';
import { Random } from './random.js';
import { DAY_MS, TimeZones, formatDay } from './time-zones.js';
import type { World } from './world.js';

/** Where a user's rows go; `arrival` (UTC ms) decides which batch a row belongs to. */
export interface RowSink {
  user(line: string, arrival: number): void;
  view(line: string, arrival: number): void;
  rating(line: string, arrival: number): void;
  subscription(line: string, arrival: number): void;
  profile(line: string): void;
  churn(line: string): void;
}

const WEEKDAY_LIFT = [1.3, 1, 1, 1, 1, 1.15, 1.35]; // Sunday first, as getUTCDay
const HOURS_WEEKDAY = [0.8, 0.4, 0.2, 0.1, 0.1, 0.15, 0.35, 0.6, 0.7, 0.7, 0.75, 0.85, 1.2, 1.1, 0.9, 0.9, 1, 1.4, 2.2, 3.2, 4, 3.8, 2.6, 1.5];
const HOURS_WEEKEND = [1.1, 0.6, 0.3, 0.15, 0.1, 0.1, 0.2, 0.4, 0.7, 1, 1.3, 1.5, 1.7, 1.8, 1.8, 1.8, 1.9, 2.1, 2.5, 3.2, 3.7, 3.6, 2.7, 1.8];
const cumulative = (weights: readonly number[]) => {
  const total = weights.reduce((a, b) => a + b, 0);
  let sum = 0;
  return weights.map((w) => (sum += w / total));
};
const HOUR_CDF = [cumulative(HOURS_WEEKDAY), cumulative(HOURS_WEEKEND)];

/** Daily churn hazard of an average, engaged member with neutral fit: under 1 % a month. */
const BASE_HAZARD = 0.00025;
/**
 * Engagement is exp(x), x a mean-reverting random walk (pull THETA, daily noise SIGMA). Now and
 * then a member starts fading (FADE_START a day, more for the frail): x then sinks by FADE a day
 * until they recover (FADE_STOP a day) or leave. The hazard rises as exp(-HAZARD_X · x).
 */
const THETA = 0.02;
const SIGMA = 0.06;
const FADE = -0.06;
const FADE_START = 0.003;
const FADE_STOP = 0.01;
const HAZARD_X = 2.4;
const PAYMENT_FAILURE = 0.0012;
const PAYMENT_EFFECT = 1.6;
const SNAPSHOT_EVERY = 7;
/** Orphan user ids start here, far above any real one. */
const ORPHAN_USERS = 900_000_000;
const HORIZON = 30;

interface Snapshot {
  readonly day: number;
  readonly probability: number;
}

export interface LifeOptions {
  readonly world: World;
  readonly zones: TimeZones;
  readonly dirt: Dirt;
  readonly endDay: number;
}

/**
 * One member's whole life on the platform, day by day, from a random stream of its own: signup,
 * sessions (local evening peaks, weekend lift), what they watch (regional popularity × their own
 * taste), how much of it, ratings, plan and price changes, payment failures, and churn from a hazard
 * that rises as engagement falls, content fits poorly, prices rise and payments fail.
 */
export function liveUser(id: number, options: LifeOptions, sink: RowSink, joinsOn?: number): void {
  const { world, zones, dirt, endDay } = options;
  const { catalog, startDay } = world;
  const random = Random.for(world.seed, 10, id);
  const d = dirt.stream(random);
  const country = COUNTRIES[world.countryTable.draw(random)]!;
  const region = REGIONS.indexOf(country.region as (typeof REGIONS)[number]);
  const zone = pickZone(country, random);
  // 70 % were members before the run starts; the rest join during it (or in the appended days).
  // Members added by --append-days join on a day fixed by their id (`joinsOn`).
  const existing = joinsOn === undefined && random.chance(0.7);
  const signupDay = joinsOn ?? (existing ? startDay - 1 - (Math.floor(random.pareto(0.9) * 30) % (5 * 365)) : startDay + random.int(world.originalEndDay - startDay));
  const ageBand = random.pick(AGE_BANDS);
  const channel = random.pick(CHANNELS);
  let planIndex = random.chance(0.35) ? 0 : random.chance(0.7) ? 1 : 2;
  const young = ageBand === '18-24' || ageBand === '25-34';
  const devices = random.dirichlet(young ? [1.5, 3, 1.2, 0.6] : [3.5, 1.2, 1, 0.8]);
  const deviceCdf = cumulative(devices);
  const taste = random.dirichlet(Array.from(world.regionGenre[region]!, (appetite) => 0.4 * appetite));
  let maxTaste = 0;
  for (const t of taste) maxTaste = Math.max(maxTaste, t);
  const activity = random.logNormal(Math.log(0.55), 0.7);
  const binge = 1 + random.logNormal(Math.log(0.8), 0.6);
  const ratingPropensity = random.beta(1.2, 6);
  const ratingBias = random.normal(0, 0.45);
  const frailty = random.normal(0, 0.45);
  const fadeStart = FADE_START * Math.exp(frailty);
  const priceSensitivity = random.logNormal(0, 0.5);

  const tasteText = taste.map((t, g) => [t, g] as const).filter(([t]) => t >= 0.05).sort((a, b) => b[0] - a[0]).map(([t, g]) => `${catalog.genres[g]}=${t.toFixed(3)}`).join(';');
  sink.profile([id, activity.toFixed(4), binge.toFixed(3), ratingPropensity.toFixed(4), ratingBias.toFixed(3), frailty.toFixed(3), priceSensitivity.toFixed(3), csvField(tasteText)].join(','));

  const offsets = zones.table(zone, startDay - 1, endDay + 2);
  const offsetAt = (day: number) => (day >= startDay - 1 && day < endDay + 2 ? offsets[day - startDay + 1]! : zones.offsetMinutes(zone, day));
  const utcOf = (localDay: number, second: number) => (localDay * 86_400 + second - offsetAt(localDay) * 60) * 1000;
  const arrival = (eventUtc: number) => eventUtc + (d.hit('late_arrival') ? (1 + random.float() * 6) * DAY_MS : random.between(30_000, 1_800_000));

  const signupSecond = 8 * 3600 + random.int(14 * 3600);
  const signupUtc = utcOf(signupDay, signupSecond);
  const signupArrival = signupUtc + random.between(1000, 600_000);
  const deviceMix = DEVICES.map((d, i) => `${d}=${devices[i]!.toFixed(2)}`).join(';');
  sink.user(
    [id, d.timestamp(signupUtc, offsetAt(signupDay)), d.optional(d.category(country.code, country.name)), csvField(country.region), zone, d.optional(PLANS[planIndex]!), d.optional(ageBand), d.optional(channel), deviceMix, ingestedAt(signupArrival)].join(','),
    signupArrival,
  );

  let eventSeq = 0;
  const subscription = (type: string, day: number, second: number) => {
    const utc = utcOf(day, second);
    const ingested = arrival(utc);
    const line = [id * 1000 + eventSeq++, id, type, d.timestamp(utc, offsetAt(day)), PLANS[planIndex], world.price(country, planIndex, day).toFixed(2), country.currency, ingestedAt(ingested)].join(',');
    sink.subscription(line, ingested);
    if (d.hit('exact_duplicate')) sink.subscription(line, ingested);
  };
  subscription('start', signupDay, signupSecond);

  let x = 0;
  let fading = false;
  let active = true;
  let cancelDay = -1;
  let fitAverage = 0.5;
  let paymentTroubleUntil = -1;
  let priceShockUntil = -1;
  let viewSeq = 0;
  let ratingSeq = 0;
  const progress = new Map<number, number>();
  const snapshots: Snapshot[] = [];
  const cancels: number[] = [];

  const hazardFor = (level: number, fit: number, price: boolean, payment: boolean) =>
    BASE_HAZARD * Math.exp(-HAZARD_X * level + 2.5 * (0.5 - fit) + (price ? 0.9 * priceSensitivity : 0) + (payment ? PAYMENT_EFFECT : 0) + frailty);

  for (let day = Math.max(signupDay, startDay); day < endDay; day++) {
    if (!active) {
      // Some who left come back.
      if (day - cancelDay > 14 && random.chance(0.002)) {
        active = true;
        x = -0.2;
        fading = false;
        subscription('reactivate', day, 9 * 3600 + random.int(12 * 3600));
      } else continue;
    }
    if ((day - startDay) % SNAPSHOT_EVERY === 0 && day - startDay >= 28 && day + HORIZON <= endDay) {
      // The true probability of leaving within 30 days given the state now: the expected hazard of
      // each coming day, over the spread of engagement paths (x is Gaussian given today: its mean
      // and variance are carried forward; E[exp(-c·x)] = exp(-c·m + c²·v/2)), future fading and
      // payment failures included.
      let survive = 1;
      let mean = x;
      let variance = 0;
      let stillFading = fading ? 1 : 0;
      for (let k = 1; k <= HORIZON; k++) {
        stillFading = stillFading * (1 - FADE_STOP) + (1 - stillFading) * fadeStart;
        mean += -THETA * mean + FADE * stillFading;
        variance = (1 - THETA) * (1 - THETA) * variance + SIGMA * SIGMA;
        // Step k is the hazard at the end of day + k - 1 (the first one is today's).
        const on = day + k - 1;
        const trouble = on < paymentTroubleUntil ? 1 : 1 - Math.pow(1 - PAYMENT_FAILURE, Math.min(k, 14));
        const base = hazardFor(mean - (HAZARD_X * variance) / 2, fitAverage, on < priceShockUntil, false);
        survive *= 1 - Math.min(1, base * (1 + trouble * (Math.exp(PAYMENT_EFFECT) - 1)));
      }
      snapshots.push({ day, probability: 1 - survive });
    }
    if (day === world.priceRiseDay && world.priceRise.has(country.code)) {
      priceShockUntil = day + 45;
      subscription('price_change', day, 3 * 3600);
    }
    if (random.chance(PAYMENT_FAILURE)) {
      paymentTroubleUntil = day + 14;
      subscription('payment_failure', day, 4 * 3600 + random.int(3600));
    }
    if (random.chance(0.0008)) {
      planIndex = planIndex === 0 ? 1 : planIndex === 2 ? 1 : random.chance(0.5) ? 0 : 2;
      subscription('plan_change', day, 10 * 3600 + random.int(10 * 3600));
    }

    // 1970-01-01 was a Thursday.
    const weekday = (day + 4) % 7;
    const weekend = weekday === 0 || weekday === 6 ? 1 : 0;
    const sessions = random.poisson(activity * Math.exp(x) * WEEKDAY_LIFT[weekday]!);
    const table = world.showTable(region, day);
    for (let s = 0; s < sessions; s++) {
      const cdf = HOUR_CDF[weekend]!;
      const u = random.float();
      let hour = 0;
      while (cdf[hour]! < u) hour++;
      let second = hour * 3600 + random.int(3600);
      const device = DEVICES[pickIndex(deviceCdf, random.float())]!;
      // A title by regional popularity, kept with a chance that grows with the member's taste for it.
      let show: Title | undefined;
      let fit = 0;
      for (let attempt = 0; attempt < 8; attempt++) {
        const candidate = catalog.titles[catalog.shows[table.draw(random)]!]!;
        if (candidate.addedDay > day) continue;
        let best = 0;
        for (const g of candidate.genres) best = Math.max(best, taste[g]!);
        fit = best / maxTaste;
        show = candidate;
        if (random.float() < 0.1 + 0.9 * fit) break;
      }
      if (!show) continue;
      const episodes = show.episodes;
      let count = 1;
      let position = 0;
      if (episodes) {
        position = progress.get(show.index) ?? 0;
        if (position >= episodes.length) position = 0;
        count = Math.min(episodes.length - position, 1 + random.poisson(binge - 1));
      }
      for (let k = 0; k < count && second < 86_400 + 6 * 3600; k++) {
        const title = episodes ? catalog.titles[episodes[position + k]!]! : show;
        const mean = 1 / (1 + Math.exp(-(-0.3 + 1.8 * fit + 0.55 * title.quality + (device === 'tv' ? 0.3 : 0))));
        let completion = random.beta(mean * 4 + 0.05, (1 - mean) * 4 + 0.05);
        if (random.chance(0.06)) completion *= 0.08;
        const watched = Math.max(1, Math.round(completion * title.minutes * 60));
        const startDayLocal = day + Math.floor(second / 86_400);
        const startUtc = utcOf(startDayLocal, second % 86_400);
        writeView(title, device, startUtc, offsetAt(startDayLocal), watched, completion);
        fitAverage = 0.9 * fitAverage + 0.1 * fit;
        if (random.float() < ratingPropensity * (0.3 + completion)) {
          const years = (day - startDay) / 365;
          const raw = 3.1 + 0.9 * title.quality + 1.4 * (fit - 0.5) + ratingBias + 0.35 * years + random.normal(0, 0.6);
          const stars = Math.min(5, Math.max(1, Math.round(raw)));
          writeRating(title, stars, startUtc + watched * 1000 + random.int(600_000), offsetAt(startDayLocal));
        }
        second += watched + 30 + random.int(300);
        if (episodes && completion > 0.6) progress.set(show.index, position + k + 1);
      }
    }

    // Engagement wanders, and sinks while fading; the hazard rises as it falls.
    fading = fading ? !random.chance(FADE_STOP) : random.chance(fadeStart);
    x += -THETA * x + (fading ? FADE : 0) + random.normal(0, SIGMA);
    const hazard = hazardFor(x, fitAverage, day < priceShockUntil, day < paymentTroubleUntil);
    if (random.float() < hazard) {
      active = false;
      cancelDay = day;
      cancels.push(day);
      subscription('cancel', day, 6 * 3600 + random.int(17 * 3600));
    }
  }

  for (const snapshot of snapshots) {
    const churned = cancels.some((day) => day >= snapshot.day && day < snapshot.day + HORIZON);
    sink.churn(`${id},${formatDay(snapshot.day)},${snapshot.probability.toFixed(5)},${churned ? 1 : 0}`);
  }

  /** The member and title a row names: now and then (orphan_key) one that does not exist. */
  function keys(title: Title): [userId: string, contentId: string] {
    if (!d.hit('orphan_key')) return [String(id), title.id];
    return random.chance(0.5) ? [String(ORPHAN_USERS + random.int(1_000_000)), title.id] : [String(id), `x${random.int(1_000_000)}`];
  }

  function writeView(title: Title, device: string, startUtc: number, offset: number, watched: number, completion: number): void {
    const [userId, contentId] = keys(title);
    let seconds = String(watched);
    if (d.hit('impossible_value')) seconds = random.chance(0.5) ? String(-1 - random.int(3600)) : String(86_400 + random.int(10 * 86_400));
    const viewId = id * 100_000 + viewSeq++;
    const ingested = arrival(startUtc + watched * 1000);
    const deviceText = d.optional(d.category(device));
    const started = d.timestamp(startUtc, offset);
    const completionText = completion.toFixed(3);
    let line = `${viewId},${userId},${contentId},${deviceText},${started},${seconds},${completionText},${ingestedAt(ingested)}`;
    // A line cut short, or with a field too many (an unquoted comma in the device).
    if (d.hit('malformed_line')) line = random.chance(0.5) ? `${viewId},${userId},${contentId},${deviceText},${started},${seconds}` : `${viewId},${userId},${contentId},${deviceText},smart tv,${started},${seconds},${completionText},${ingestedAt(ingested)}`;
    sink.view(line, ingested);
    if (d.hit('exact_duplicate')) sink.view(line, ingested);
    if (d.hit('near_duplicate')) {
      const shift = 1 + random.int(5);
      const again = [id * 100_000 + viewSeq++, userId, contentId, deviceText, d.timestamp(startUtc + shift * 1000, offset), String(Math.max(0, watched - shift - random.int(20))), completionText, ingestedAt(ingested + shift * 1000)];
      sink.view(again.join(','), ingested + shift * 1000);
    }
  }

  function writeRating(title: Title, stars: number, utc: number, offset: number): void {
    const [userId, contentId] = keys(title);
    let value = String(stars);
    if (d.hit('impossible_value')) value = random.pick(['0', '6', '10', '-1', '11']);
    const ingested = arrival(utc);
    const line = [id * 10_000 + ratingSeq++, userId, contentId, value, d.timestamp(utc, offset), ingestedAt(ingested)].join(',');
    sink.rating(line, ingested);
    if (d.hit('exact_duplicate')) sink.rating(line, ingested);
  }
}

function pickZone(country: Country, random: Random): string {
  let u = random.float();
  for (const [zone, share] of country.zones) {
    u -= share;
    if (u < 0) return zone;
  }
  return country.zones[0]![0];
}

function pickIndex(cdf: readonly number[], u: number): number {
  for (let i = 0; i < cdf.length; i++) if (u < cdf[i]!) return i;
  return cdf.length - 1;
}
