-- Every raw subscription event, parsed, with the reason it cannot be kept (null when it can).
with parsed as (
  select
    r.*,
    {{> to_id col="r.event_id"}} as event_key,
    {{> to_id col="r.user_id"}} as user_key,
    case when trim(r.price) ~ '^\d+(\.\d+)?$' then trim(r.price)::numeric(12, 2) end as price_value,
    m.time_zone,
    m.user_id is not null as member_known,
    row_number() over (partition by trim(r.event_id) order by r.ingested_at) as copy_number
  from {{source "raw" "subscriptions"}} as r
  left join {{ref "stg_users"}} as m on m.user_id = {{> to_id col="r.user_id"}}
),
timed as (
  select p.*, {{> event_time col="p.event_at" tz="p.time_zone"}} as event_ts
  from parsed as p
)
select
  t.event_key as event_id,
  t.user_key as user_id,
  lower(trim(t.event_type)) as event_type,
  t.event_ts as event_at,
  lower({{> blank_to_null col="t.plan"}}) as plan,
  t.price_value as price,
  upper(trim(t.currency)) as currency,
  t.ingested_at::timestamptz as ingested_at,
  t.event_id as raw_event_id,
  t.event_at as raw_event_at,
  case
    when t.event_key is null then 'event_id is not a number'
    when t.copy_number > 1 then 'duplicate event_id'
    when t.user_key is null or not t.member_known then 'unknown member'
    when t.event_ts is null then 'event_at in no known format'
    when lower(trim(t.event_type)) not in ('start', 'plan_change', 'price_change', 'payment_failure', 'cancel', 'reactivate') then 'unknown event_type'
  end as reject_reason
from timed as t
