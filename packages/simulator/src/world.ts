import { AliasTable } from './alias-table.js';
import type { Catalog } from './catalog.js';
import { COUNTRIES, REGIONS, type Country } from './geography.js';
import { Random } from './random.js';

/** Everything shared by all users of one run: catalog popularity over time, regional tastes, prices. */
export class World {
  /** Regional appetite for each genre (log-normal around 1). */
  readonly regionGenre: readonly Float64Array[];
  /** Countries whose prices rise mid-run, and by how much. */
  readonly priceRise: ReadonlyMap<string, number>;
  readonly countryTable: AliasTable;
  private readonly showTables = new Map<number, AliasTable>();

  constructor(
    readonly seed: number,
    readonly catalog: Catalog,
    readonly startDay: number,
    /** Last day of the original run (exclusive): fixes what does not depend on appended days. */
    readonly originalEndDay: number,
  ) {
    const random = Random.for(seed, 3);
    this.regionGenre = REGIONS.map(() => Float64Array.from(catalog.genres, () => random.logNormal(0, 0.5)));
    const rises = new Map<string, number>();
    for (const country of COUNTRIES) if (random.chance(0.4)) rises.set(country.code, 1.1 + 0.1 * random.float());
    this.priceRise = rises;
    this.countryTable = new AliasTable(COUNTRIES.map((country) => country.weight));
  }

  /** The day prices rise in the countries of `priceRise`: the middle of the original run. */
  get priceRiseDay(): number {
    return this.startDay + Math.floor((this.originalEndDay - this.startDay) / 2);
  }

  price(country: Country, planIndex: number, day: number): number {
    const rise = day >= this.priceRiseDay ? (this.priceRise.get(country.code) ?? 1) : 1;
    return Math.round(country.prices[planIndex]! * rise * 100) / 100;
  }

  /**
   * Shows (movies and series) to choose from in a region during the week of `day`, by popularity:
   * base popularity × a release boost that decays over weeks × the region's appetite for the genres
   * × a boost for titles from the region. Titles not yet added weigh nothing.
   */
  showTable(region: number, day: number): AliasTable {
    const week = Math.floor((day - this.startDay) / 7);
    const key = region * 100_000 + week;
    let table = this.showTables.get(key);
    if (!table) {
      const mid = this.startDay + week * 7 + 3;
      const tastes = this.regionGenre[region]!;
      table = new AliasTable(
        this.catalog.shows.map((index) => {
          const title = this.catalog.titles[index]!;
          if (title.addedDay > mid + 3) return 0;
          const age = Math.max(0, mid - title.releaseDay);
          let genre = 0;
          for (const g of title.genres) genre += tastes[g]!;
          return title.basePopularity * (1 + 6 * Math.exp(-age / 21)) * (genre / title.genres.length) * (title.homeRegion === region ? 2.5 : 1);
        }),
      );
      this.showTables.set(key, table);
    }
    return table;
  }
}
