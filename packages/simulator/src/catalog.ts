import { COUNTRIES, COUNTRY_BY_NAME, REGIONS, type Country } from './geography.js';
import { Random } from './random.js';
import { DAY_MS } from './time-zones.js';

/** A movie, a series (never watched itself) or an episode of a series. */
export interface Title {
  readonly index: number;
  readonly id: string;
  readonly type: 'Movie' | 'TV Show' | 'Episode';
  readonly title: string;
  /** Indices into Catalog.genres. */
  readonly genres: readonly number[];
  /** Day numbers (days since 1970-01-01). */
  readonly releaseDay: number;
  readonly addedDay: number;
  readonly minutes: number;
  /** For a TV Show: its episodes in order; for an episode: its show and place. */
  readonly episodes?: readonly number[];
  readonly seriesIndex?: number;
  readonly season?: number;
  readonly episode?: number;
  readonly seasons?: number;
  readonly homeRegion: number;
  readonly language: string;
  /** Hidden truth: how good it is (standard normal) and how much it draws on its own. */
  readonly quality: number;
  readonly basePopularity: number;
  /** The catalog feed's row as written (the Netflix format's columns). */
  readonly raw: CatalogRow;
}

export interface CatalogRow {
  readonly director: string;
  readonly cast: string;
  readonly country: string;
  readonly dateAdded: string;
  readonly releaseYear: string;
  readonly rating: string;
  readonly duration: string;
  readonly listedIn: string;
  readonly description: string;
}

export interface Catalog {
  readonly genres: readonly string[];
  readonly titles: readonly Title[];
  /** Movies and TV shows: what a viewer chooses among. */
  readonly shows: readonly number[];
}

const GENRES = ['Action & Adventure', 'Comedies', 'Dramas', 'Thrillers', 'Horror Movies', 'Romantic Movies', 'Documentaries', 'Sci-Fi & Fantasy', 'Anime Features', "Children & Family Movies", 'Crime TV Shows', 'Reality TV', 'Stand-Up Comedy', 'International Movies'];
const MATURITY = ['G', 'PG', 'PG-13', 'R', 'TV-Y', 'TV-Y7', 'TV-G', 'TV-PG', 'TV-14', 'TV-MA'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WORDS = ['Midnight', 'Echo', 'Garden', 'Signal', 'Harbor', 'Crown', 'Storm', 'Paper', 'Silent', 'River', 'Glass', 'North', 'Wild', 'Last', 'Golden', 'Hidden', 'Broken', 'Summer', 'Iron', 'Velvet', 'Lost', 'City', 'Night', 'Fire', 'Ghost', 'Blue', 'Secret', 'Long', 'Red', 'Winter'];
const LANGUAGES: Readonly<Record<string, string>> = { 'North America': 'English', 'Latin America': 'Spanish', Europe: 'English', 'Middle East & Africa': 'Arabic', 'Asia Pacific': 'Japanese' };

/**
 * Catalog quality drifts: each year of release adds QUALITY_DRIFT to a title's latent quality
 * (newer titles are better on average), which ratings by release cohort can find.
 */
const QUALITY_DRIFT = 0.12;
const NETFLIX_REFERENCE_DAY = Math.floor(Date.UTC(2015, 0, 1) / DAY_MS);

function qualityDrift(releaseDay: number, referenceDay: number): number {
  return (QUALITY_DRIFT * (releaseDay - referenceDay)) / 365;
}

/** "September 25, 2021", as the Netflix catalog writes dates. */
export function catalogDate(day: number): string {
  const date = new Date(day * DAY_MS);
  return `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.getUTCFullYear()}`;
}

function parseCatalogDate(text: string): number | undefined {
  const match = /^\s*([A-Za-z]+)\s+(\d{1,2}),\s*(\d{4})\s*$/.exec(text);
  if (!match) return undefined;
  const month = MONTHS.indexOf(match[1]!);
  if (month < 0) return undefined;
  return Math.floor(Date.UTC(Number(match[3]), month, Number(match[2])) / DAY_MS);
}

/**
 * A generated catalog: `shows` movies and series (series with seasons of episodes), genres, release
 * and added dates up to `lastDay` (some during the simulated period), latent quality and heavy-tailed
 * base popularity.
 */
export function generateCatalog(seed: number, shows: number, firstDay: number, lastDay: number): Catalog {
  const titles: Title[] = [];
  const showIndices: number[] = [];
  for (let i = 0; i < shows; i++) {
    const random = Random.for(seed, 1, i);
    const isSeries = random.chance(0.32);
    const country = pickCountry(random);
    const region = REGIONS.indexOf(country.region as (typeof REGIONS)[number]);
    const genreCount = 1 + random.int(3);
    const genres = [...new Set(Array.from({ length: genreCount }, () => random.int(GENRES.length)))];
    // 85 % back catalog (up to 8 years old), 15 % released while the simulation runs.
    const releaseDay = random.chance(0.15) ? firstDay + random.int(Math.max(1, lastDay - firstDay)) : firstDay - 1 - random.int(8 * 365);
    const addedDay = releaseDay < firstDay ? Math.max(releaseDay, firstDay - random.int(3 * 365)) : releaseDay;
    const name = `${random.pick(WORDS)} ${random.pick(WORDS)}${random.chance(0.3) ? ` ${1 + random.int(3)}` : ''}`;
    const seasons = isSeries ? 1 + Math.min(7, Math.floor(random.pareto(1.6))) : 0;
    const minutes = isSeries ? 22 + 23 * random.int(2) : Math.round(random.between(75, 150));
    const index = titles.length;
    const raw: CatalogRow = {
      director: random.chance(0.3) ? '' : `${random.pick(WORDS)} ${random.pick(WORDS)}son`,
      cast: random.chance(0.1) ? '' : Array.from({ length: 2 + random.int(4) }, () => `${random.pick(WORDS)} ${random.pick(WORDS)}`).join(', '),
      country: country.name,
      dateAdded: catalogDate(addedDay),
      releaseYear: String(new Date(releaseDay * DAY_MS).getUTCFullYear()),
      rating: random.pick(MATURITY),
      duration: isSeries ? `${seasons} Season${seasons === 1 ? '' : 's'}` : `${minutes} min`,
      listedIn: genres.map((g) => GENRES[g]).join(', '),
      description: `A ${GENRES[genres[0]!]!.toLowerCase()} story about ${random.pick(WORDS).toLowerCase()} and ${random.pick(WORDS).toLowerCase()}.`,
    };
    const show: Omit<Title, 'episodes'> & { episodes?: number[] } = {
      index,
      id: `c${String(i + 1).padStart(6, '0')}`,
      type: isSeries ? 'TV Show' : 'Movie',
      title: name,
      genres,
      releaseDay,
      addedDay,
      minutes,
      seasons: isSeries ? seasons : undefined,
      homeRegion: region,
      language: LANGUAGES[country.region] ?? 'English',
      quality: random.normal() + qualityDrift(releaseDay, firstDay),
      basePopularity: random.pareto(1.1),
      raw,
    };
    titles.push(show as Title);
    showIndices.push(index);
    if (isSeries) show.episodes = addEpisodes(titles, show as Title, random, seasons);
  }
  return { genres: GENRES, titles, shows: showIndices };
}

function addEpisodes(titles: Title[], show: Title, random: Random, seasons: number): number[] {
  const episodes: number[] = [];
  for (let season = 1; season <= seasons; season++) {
    const count = 6 + random.int(7);
    for (let episode = 1; episode <= count; episode++) {
      const index = titles.length;
      const minutes = Math.max(15, Math.round(show.minutes + random.normal(0, 4)));
      titles.push({
        ...show,
        index,
        id: `${show.id}-s${season}e${episode}`,
        type: 'Episode',
        title: `${show.title}: Season ${season}, Episode ${episode}`,
        minutes,
        episodes: undefined,
        seasons: undefined,
        seriesIndex: show.index,
        season,
        episode,
        // Episodes share their show's quality, with a little spread.
        quality: show.quality + random.normal(0, 0.25),
        raw: { ...show.raw, duration: `${minutes} min`, description: '' },
      });
      episodes.push(index);
    }
  }
  return episodes;
}

function pickCountry(random: Random): Country {
  const total = COUNTRIES.reduce((sum, country) => sum + country.weight, 0);
  let x = random.float() * total;
  for (const country of COUNTRIES) {
    x -= country.weight;
    if (x < 0) return country;
  }
  return COUNTRIES[0]!;
}

/** The Kaggle "Netflix Movies and TV Shows" columns, in order. */
export const NETFLIX_COLUMNS = ['show_id', 'type', 'title', 'director', 'cast', 'country', 'date_added', 'release_year', 'rating', 'duration', 'listed_in', 'description'] as const;

/**
 * A catalog from records in the Netflix titles format. Its values are kept as they are (quirks
 * included) for the content feed; what the simulation needs is derived leniently: a missing or
 * unreadable date falls back to the release year, seasons to one, genres to "Uncategorized".
 */
export function catalogFromNetflix(seed: number, records: readonly Readonly<Record<string, string>>[]): Catalog {
  const genres: string[] = [];
  const genreIndex = new Map<string, number>();
  const titles: Title[] = [];
  const showIndices: number[] = [];
  records.forEach((record, i) => {
    const random = Random.for(seed, 2, i);
    const isSeries = record.type === 'TV Show';
    const names = (record.listed_in ?? '').split(',').map((g) => g.trim()).filter(Boolean);
    const ids = (names.length > 0 ? names : ['Uncategorized']).map((name) => {
      let index = genreIndex.get(name);
      if (index === undefined) {
        index = genres.length;
        genres.push(name);
        genreIndex.set(name, index);
      }
      return index;
    });
    const firstCountry = COUNTRY_BY_NAME.get((record.country ?? '').split(',')[0]!.trim().toLowerCase());
    const region = firstCountry ? REGIONS.indexOf(firstCountry.region as (typeof REGIONS)[number]) : random.int(REGIONS.length);
    const year = Number(record.release_year) || 2015;
    const yearDay = Math.floor(Date.UTC(year, random.int(12), 1 + random.int(28)) / DAY_MS);
    const releaseDay = Math.min(yearDay, parseCatalogDate(record.date_added ?? '') ?? yearDay);
    const listed = parseCatalogDate(record.date_added ?? '');
    const addedDay = listed ?? releaseDay + random.int(365);
    const duration = record.duration || (/\d+ min/.test(record.rating ?? '') ? record.rating! : '');
    const minutesMatch = /(\d+)\s*min/.exec(duration);
    const seasonsMatch = /(\d+)\s*Season/.exec(duration);
    const seasons = isSeries ? Math.min(8, Number(seasonsMatch?.[1] ?? 1)) : 0;
    const index = titles.length;
    const show: Omit<Title, 'episodes'> & { episodes?: number[] } = {
      index,
      id: record.show_id ?? `s${i + 1}`,
      type: isSeries ? 'TV Show' : 'Movie',
      title: record.title ?? '',
      genres: ids,
      releaseDay,
      addedDay,
      minutes: isSeries ? 45 : Number(minutesMatch?.[1] ?? 95),
      seasons: isSeries ? seasons : undefined,
      homeRegion: region,
      language: 'English',
      quality: random.normal() + qualityDrift(releaseDay, NETFLIX_REFERENCE_DAY),
      basePopularity: random.pareto(1.1),
      raw: {
        director: record.director ?? '',
        cast: record.cast ?? '',
        country: record.country ?? '',
        dateAdded: record.date_added ?? '',
        releaseYear: record.release_year ?? '',
        rating: record.rating ?? '',
        duration: record.duration ?? '',
        listedIn: record.listed_in ?? '',
        description: record.description ?? '',
      },
    };
    titles.push(show as Title);
    showIndices.push(index);
    if (isSeries) show.episodes = addEpisodes(titles, show as Title, random, seasons);
  });
  return { genres, titles, shows: showIndices };
}
