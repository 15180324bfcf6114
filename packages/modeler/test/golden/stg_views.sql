select
  view_id,
  round(seconds_watched / 60.0, 1) as minutes,
  'WEB' as device
from "raw_feed"."views_v2"
where started_at >= '2024-01-01'
  and region = 'O''Hare'
