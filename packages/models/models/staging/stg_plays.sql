-- Types, names and cleaning: one staging model per raw feed.
select
  play_id,
  user_id,
  title,
  upper(trim(country)) as country_code,
  started_at,
  seconds_watched
from {{ref "plays"}}
where seconds_watched >= 0
