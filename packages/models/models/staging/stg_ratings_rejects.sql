-- Raw ratings rows that were not kept, with why: nothing is dropped silently.
select
  reject_reason,
  raw_rating_id, user_id, content_id, raw_stars, raw_rated_at,
  ingested_at
from {{ref "base_ratings"}}
where reject_reason is not null
