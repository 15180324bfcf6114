-- Every raw rating, parsed, with the reason it cannot be kept (null when it can).
with parsed as (
  select
    r.*,
    {{> to_id col="r.rating_id"}} as rating_key,
    {{> to_id col="r.user_id"}} as user_key,
    case when trim(r.stars) ~ '^-?\d{1,3}$' then trim(r.stars)::int end as stars_value,
    m.time_zone,
    m.user_id is not null as member_known,
    t.content_id is not null as title_known,
    row_number() over (partition by trim(r.rating_id) order by r.ingested_at) as copy_number
  from {{source "raw" "ratings"}} as r
  left join {{ref "stg_users"}} as m on m.user_id = {{> to_id col="r.user_id"}}
  left join {{ref "stg_content"}} as t on t.content_id = trim(r.content_id)
),
timed as (
  select p.*, {{> event_time col="p.rated_at" tz="p.time_zone"}} as rated_ts
  from parsed as p
)
select
  t.rating_key as rating_id,
  t.user_key as user_id,
  trim(t.content_id) as content_id,
  t.stars_value as stars,
  t.rated_ts as rated_at,
  t.ingested_at::timestamptz as ingested_at,
  t.rating_id as raw_rating_id,
  t.stars as raw_stars,
  t.rated_at as raw_rated_at,
  case
    when t.rating_key is null then 'rating_id is not a number'
    when t.copy_number > 1 then 'duplicate rating_id'
    when t.user_key is null or not t.member_known then 'unknown member'
    when not t.title_known then 'unknown title'
    when t.rated_ts is null then 'rated_at in no known format'
    when t.stars_value is null or t.stars_value not between 1 and 5 then 'stars outside 1-5'
  end as reject_reason
from timed as t
