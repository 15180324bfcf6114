/** The raw feeds: file name and columns, in order. Every raw column is text: the feeds are dirty. */
export const FEEDS = {
  users: ['user_id', 'signup_at', 'country', 'region', 'time_zone', 'plan', 'age_band', 'acquisition_channel', 'device_mix', 'ingested_at'],
  content: ['content_id', 'content_type', 'title', 'director', 'cast', 'country', 'date_added', 'release_year', 'rating', 'duration', 'listed_in', 'description', 'series_id', 'season_number', 'episode_number', 'language', 'ingested_at'],
  views: ['view_id', 'user_id', 'content_id', 'device', 'started_at', 'seconds_watched', 'completion', 'ingested_at'],
  ratings: ['rating_id', 'user_id', 'content_id', 'stars', 'rated_at', 'ingested_at'],
  subscriptions: ['event_id', 'user_id', 'event_type', 'event_at', 'plan', 'price', 'currency', 'ingested_at'],
} as const;

export type FeedName = keyof typeof FEEDS;

/**
 * Feeds whose valid lines never hold a quote or a line break (ids, codes, numbers, timestamps):
 * the loader checks their lines by counting commas instead of parsing CSV, at COPY's own speed.
 */
export const PLAIN_FEEDS: ReadonlySet<FeedName> = new Set(['users', 'views', 'ratings', 'subscriptions']);
export const FEED_NAMES = Object.keys(FEEDS) as FeedName[];

/** Hidden truth, written under truth/ beside the feeds and never loaded into raw. */
export const TRUTH = {
  user_profiles: ['user_id', 'activity', 'binge', 'rating_propensity', 'rating_bias', 'churn_frailty', 'price_sensitivity', 'taste'],
  churn_truth: ['user_id', 'snapshot_date', 'churn_probability_30d', 'churned_within_30d'],
  title_truth: ['content_id', 'quality', 'base_popularity'],
} as const;

export type TruthName = keyof typeof TRUTH;
export const TRUTH_NAMES = Object.keys(TRUTH) as TruthName[];
