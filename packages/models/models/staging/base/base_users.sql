-- Every raw member row, parsed, with the reason it cannot be kept (null when it can).
with numbered as (
  select
    r.*,
    row_number() over (partition by trim(r.user_id) order by r.ingested_at) as copy_number
  from {{source "raw" "users"}} as r
),
parsed as (
  select
    n.*,
    {{> to_id col="n.user_id"}} as user_key,
    {{> event_time col="n.signup_at" tz="n.time_zone"}} as signup_ts,
    {{> blank_to_null col="n.country"}} as country_text
  from numbered as n
)
select
  p.user_id as raw_user_id,
  p.user_key as user_id,
  p.signup_ts as signup_at,
  coalesce(by_code.country_code, by_name.country_code) as country_code,
  p.country_text as raw_country,
  p.region,
  p.time_zone,
  lower({{> blank_to_null col="p.plan"}}) as plan,
  {{> blank_to_null col="p.age_band"}} as age_band,
  lower({{> blank_to_null col="p.acquisition_channel"}}) as acquisition_channel,
  p.device_mix,
  p.ingested_at::timestamptz as ingested_at,
  case
    when p.user_key is null then 'user_id is not a number'
    when p.copy_number > 1 then 'duplicate user_id'
    when p.signup_ts is null then 'signup_at in no known format'
    when p.time_zone is null or p.time_zone = '' then 'no time zone'
  end as reject_reason
from parsed as p
left join {{ref "countries"}} as by_code on by_code.country_code = upper(p.country_text)
left join {{ref "countries"}} as by_name on lower(by_name.country_name) = lower(p.country_text)
