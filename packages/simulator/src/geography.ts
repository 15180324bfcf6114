/** A country users sign up from: its region, time zones (with shares), currency and plan prices. */
export interface Country {
  readonly code: string;
  readonly name: string;
  readonly region: string;
  readonly weight: number;
  readonly zones: readonly (readonly [zone: string, share: number])[];
  readonly currency: string;
  /** Monthly prices of basic, standard and premium. */
  readonly prices: readonly [number, number, number];
}

export const PLANS = ['basic', 'standard', 'premium'] as const;
export type Plan = (typeof PLANS)[number];

export const REGIONS = ['North America', 'Latin America', 'Europe', 'Middle East & Africa', 'Asia Pacific'] as const;

const c = (code: string, name: string, region: string, weight: number, zones: Country['zones'], currency: string, prices: Country['prices']): Country => ({ code, name, region, weight, zones, currency, prices });

export const COUNTRIES: readonly Country[] = [
  c('US', 'United States', 'North America', 30, [['America/New_York', 0.47], ['America/Chicago', 0.29], ['America/Denver', 0.07], ['America/Los_Angeles', 0.17]], 'USD', [6.99, 15.49, 22.99]),
  c('CA', 'Canada', 'North America', 4, [['America/Toronto', 0.62], ['America/Vancouver', 0.38]], 'CAD', [5.99, 16.49, 20.99]),
  c('MX', 'Mexico', 'Latin America', 5, [['America/Mexico_City', 1]], 'MXN', [139, 219, 299]),
  c('BR', 'Brazil', 'Latin America', 7, [['America/Sao_Paulo', 1]], 'BRL', [20.9, 39.9, 55.9]),
  c('AR', 'Argentina', 'Latin America', 2, [['America/Argentina/Buenos_Aires', 1]], 'ARS', [2799, 4699, 6499]),
  c('CO', 'Colombia', 'Latin America', 2, [['America/Bogota', 1]], 'COP', [16900, 26900, 38900]),
  c('GB', 'United Kingdom', 'Europe', 7, [['Europe/London', 1]], 'GBP', [5.99, 10.99, 17.99]),
  c('DE', 'Germany', 'Europe', 6, [['Europe/Berlin', 1]], 'EUR', [4.99, 13.99, 19.99]),
  c('FR', 'France', 'Europe', 5, [['Europe/Paris', 1]], 'EUR', [5.99, 13.49, 19.99]),
  c('ES', 'Spain', 'Europe', 4, [['Europe/Madrid', 1]], 'EUR', [6.99, 12.99, 19.99]),
  c('IT', 'Italy', 'Europe', 3, [['Europe/Rome', 1]], 'EUR', [6.99, 13.99, 19.99]),
  c('PL', 'Poland', 'Europe', 2, [['Europe/Warsaw', 1]], 'PLN', [33, 49, 67]),
  c('SE', 'Sweden', 'Europe', 1, [['Europe/Stockholm', 1]], 'SEK', [99, 149, 199]),
  c('TR', 'Turkey', 'Middle East & Africa', 2, [['Europe/Istanbul', 1]], 'TRY', [149.99, 229.99, 299.99]),
  c('ZA', 'South Africa', 'Middle East & Africa', 1.5, [['Africa/Johannesburg', 1]], 'ZAR', [99, 159, 199]),
  c('NG', 'Nigeria', 'Middle East & Africa', 1, [['Africa/Lagos', 1]], 'NGN', [2200, 3600, 4400]),
  c('EG', 'Egypt', 'Middle East & Africa', 1, [['Africa/Cairo', 1]], 'EGP', [100, 165, 240]),
  c('AE', 'United Arab Emirates', 'Middle East & Africa', 1, [['Asia/Dubai', 1]], 'AED', [29, 39, 56]),
  c('IN', 'India', 'Asia Pacific', 6, [['Asia/Kolkata', 1]], 'INR', [199, 499, 649]),
  c('JP', 'Japan', 'Asia Pacific', 4, [['Asia/Tokyo', 1]], 'JPY', [890, 1590, 2290]),
  c('KR', 'South Korea', 'Asia Pacific', 3, [['Asia/Seoul', 1]], 'KRW', [5500, 13500, 17000]),
  c('AU', 'Australia', 'Asia Pacific', 2.5, [['Australia/Sydney', 0.7], ['Australia/Perth', 0.3]], 'AUD', [7.99, 18.99, 25.99]),
  c('ID', 'Indonesia', 'Asia Pacific', 2, [['Asia/Jakarta', 1]], 'IDR', [54000, 120000, 186000]),
  c('PH', 'Philippines', 'Asia Pacific', 1.5, [['Asia/Manila', 1]], 'PHP', [249, 399, 549]),
];

export const COUNTRY_BY_CODE: ReadonlyMap<string, Country> = new Map(COUNTRIES.map((country) => [country.code, country]));

/** Country names as the Netflix catalog writes them, to place real titles in a region. */
export const COUNTRY_BY_NAME: ReadonlyMap<string, Country> = new Map(COUNTRIES.map((country) => [country.name.toLowerCase(), country]));

export const DEVICES = ['tv', 'mobile', 'web', 'tablet'] as const;
export type Device = (typeof DEVICES)[number];

export const AGE_BANDS = ['18-24', '25-34', '35-44', '45-54', '55+'] as const;
export const CHANNELS = ['organic', 'paid_search', 'social', 'referral', 'partner_bundle', 'tv_ad'] as const;
