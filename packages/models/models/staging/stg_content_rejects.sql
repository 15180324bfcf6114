-- Raw content rows that were not kept, with why: nothing is dropped silently.
select
  reject_reason,
  raw_content_id,
  ingested_at
from {{ref "base_content"}}
where reject_reason is not null
