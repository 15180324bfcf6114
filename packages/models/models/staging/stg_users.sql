-- The users that can be used: typed, conformed and deduplicated (rejects in stg_users_rejects).
select
  user_id, signup_at, country_code, region, time_zone, plan, age_band, acquisition_channel, device_mix, ingested_at
from {{ref "base_users"}}
where reject_reason is null
