-- The subscriptions that can be used: typed, conformed and deduplicated (rejects in stg_subscriptions_rejects).
select
  event_id, user_id, event_type, event_at, plan, price, currency, ingested_at
from {{ref "base_subscriptions"}}
where reject_reason is null
