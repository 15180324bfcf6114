-- Each member's plan, price and status as dim_users holds them, recorded at every build: a new
-- version when one of them changes (config and columns in _snapshots.yml).
select
  user_id,
  current_plan as plan,
  current_price as price,
  currency,
  is_churned
from {{ref "dim_users"}}
