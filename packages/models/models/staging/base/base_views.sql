-- Every raw viewing session, parsed, with the reason it cannot be kept (null when it can): ids that
-- are not numbers, members or titles that do not exist, unreadable start times, impossible durations,
-- repeats of the same view_id, and near duplicates (the same member and title started within 10 s
-- of an earlier session).
with parsed as (
  select
    r.*,
    {{> to_id col="r.view_id"}} as view_key,
    {{> to_id col="r.user_id"}} as user_key,
    case when trim(r.seconds_watched) ~ '^-?\d{1,9}$' then trim(r.seconds_watched)::int end as seconds,
    case when trim(r.completion) ~ '^\d+(\.\d+)?$' then trim(r.completion)::numeric end as completion_share,
    lower({{> blank_to_null col="r.device"}}) as device_text,
    m.time_zone,
    m.user_id is not null as member_known,
    t.content_id is not null as title_known,
    t.content_type
  from {{source "raw" "views"}} as r
  left join {{ref "stg_users"}} as m on m.user_id = {{> to_id col="r.user_id"}}
  left join {{ref "stg_content"}} as t on t.content_id = trim(r.content_id)
),
timed as (
  select p.*, {{> event_time col="p.started_at" tz="p.time_zone"}} as started_ts
  from parsed as p
),
copies as (
  select t.*, row_number() over (partition by t.view_key order by t.ingested_at, t.started_at) as copy_number
  from timed as t
),
ranked as (
  -- Repeats of a view_id are compared with nothing, so the first copy is never taken for a near duplicate.
  select
    c.*,
    lag(c.started_ts) over (partition by c.user_key, trim(c.content_id), c.copy_number > 1 order by c.started_ts, c.view_key) as previous_start
  from copies as c
)
select
  r.view_key as view_id,
  r.user_key as user_id,
  trim(r.content_id) as content_id,
  case when r.device_text in ('tv', 'mobile', 'web', 'tablet') then r.device_text else 'unknown' end as device,
  r.started_ts as started_at,
  (r.started_ts at time zone r.time_zone) as started_at_local,
  r.time_zone,
  r.seconds as seconds_watched,
  r.completion_share as completion,
  r.ingested_at::timestamptz as ingested_at,
  r.ingested_at::timestamptz - r.started_ts as arrival_lag,
  r.view_id as raw_view_id,
  r.user_id as raw_user_id,
  r.started_at as raw_started_at,
  r.seconds_watched as raw_seconds_watched,
  case
    when r.view_key is null then 'view_id is not a number'
    when r.copy_number > 1 then 'duplicate view_id'
    when r.user_key is null or not r.member_known then 'unknown member'
    when not r.title_known then 'unknown title'
    when r.started_ts is null then 'started_at in no known format'
    when r.seconds is null or r.seconds < 0 or r.seconds > 86400 then 'impossible seconds_watched'
    when r.previous_start is not null and r.started_ts - r.previous_start < interval '10 seconds' then 'near duplicate of an earlier session'
  end as reject_reason
from ranked as r
