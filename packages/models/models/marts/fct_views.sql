{{config materialized="incremental" unique_key="view_id"}}
-- One row per kept viewing session. Incremental: each build adds the sessions that became complete
-- since the last one — arrived, with their member and title known — so late arrivals, and sessions
-- whose member's or title's row came after them, are picked up (selected by arrival, not by start).
{{#if is_incremental}}
with last_build as (select coalesce(max(complete_at), '-infinity') as watermark from {{this}})
{{/if}}
select
  view_id, user_id, content_id, show_id, format, genre, country_code,
  region, device, started_at, started_at_local, started_on_utc, started_on_local, local_hour,
  local_weekday, daypart, seconds_watched, completion, is_real_view, ingested_at, complete_at
from {{ref "int_views_enriched"}}
{{#if is_incremental}}
where complete_at > (select watermark from last_build)
  -- The same condition spelled per input (complete_at is the greatest of the three arrival times),
  -- so that old sessions are skipped while scanning, before the joins.
  and (
    ingested_at > (select watermark from last_build)
    or user_id in (select user_id from {{ref "stg_users"}} where ingested_at > (select watermark from last_build))
    or content_id in (select content_id from {{ref "stg_content"}} where ingested_at > (select watermark from last_build))
  )
{{/if}}
