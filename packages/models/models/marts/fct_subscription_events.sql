-- One row per kept subscription event, with the price before it (to see rises and plan changes).
select
  e.event_id,
  e.user_id,
  e.event_type,
  e.event_at,
  (e.event_at at time zone 'UTC')::date as event_on,
  e.plan,
  e.price,
  lag(e.price) over (partition by e.user_id order by e.event_at, e.event_id) as previous_price,
  e.currency
from {{ref "stg_subscriptions"}} as e
