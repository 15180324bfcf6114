-- Raw users rows that were not kept, with why: nothing is dropped silently.
select
  reject_reason,
  raw_user_id,
  ingested_at
from {{ref "base_users"}}
where reject_reason is not null
