-- One row per member: who they are, and their plan, price and status from their subscription events.
with events as (
  select
    e.*,
    row_number() over (partition by e.user_id order by e.event_at desc, e.event_id desc) as newest
  from {{ref "stg_subscriptions"}} as e
),
latest_status as (
  select distinct on (user_id) user_id, event_type, event_at
  from {{ref "stg_subscriptions"}}
  where event_type in ('start', 'cancel', 'reactivate')
  order by user_id, event_at desc, event_id desc
)
select
  u.user_id,
  u.signup_at,
  (u.signup_at at time zone u.time_zone)::date as signup_on,
  u.country_code,
  c.country_name,
  u.region,
  u.time_zone,
  u.age_band,
  u.acquisition_channel,
  coalesce(e.plan, u.plan) as current_plan,
  e.price as current_price,
  e.currency,
  coalesce(s.event_type = 'cancel', false) as is_churned,
  case when s.event_type = 'cancel' then s.event_at end as churned_at
from {{ref "stg_users"}} as u
left join {{ref "countries"}} as c on c.country_code = u.country_code
left join events as e on e.user_id = u.user_id and e.newest = 1
left join latest_status as s on s.user_id = u.user_id
