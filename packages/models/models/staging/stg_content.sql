-- The content that can be used: typed, conformed and deduplicated (rejects in stg_content_rejects).
select
  content_id, content_type, title, director, "cast", countries, primary_country, added_on, release_year, maturity_rating, duration, duration_minutes, seasons, genres, primary_genre, description, series_id, season_number, episode_number, language, ingested_at
from {{ref "base_content"}}
where reject_reason is null
