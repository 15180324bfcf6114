-- Raw views rows that were not kept, with why: nothing is dropped silently.
select
  reject_reason,
  raw_view_id, raw_user_id, content_id, raw_started_at, raw_seconds_watched,
  ingested_at
from {{ref "base_views"}}
where reject_reason is not null
