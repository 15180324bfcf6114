-- The ratings that can be used: typed, conformed and deduplicated (rejects in stg_ratings_rejects).
select
  rating_id, user_id, content_id, stars, rated_at, ingested_at
from {{ref "base_ratings"}}
where reject_reason is null
