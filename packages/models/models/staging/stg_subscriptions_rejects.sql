-- Raw subscriptions rows that were not kept, with why: nothing is dropped silently.
select
  reject_reason,
  raw_event_id, user_id, event_type, raw_event_at,
  ingested_at
from {{ref "base_subscriptions"}}
where reject_reason is not null
