-- The views that can be used: typed, conformed and deduplicated (rejects in stg_views_rejects).
select
  view_id, user_id, content_id, device, started_at, started_at_local, time_zone, seconds_watched, completion, ingested_at, arrival_lag
from {{ref "base_views"}}
where reject_reason is null
