-- One row per member and version of their plan, price and status (from users_plan_snapshot), with
-- what changed since the version before.
select
  s.user_id,
  row_number() over w as version,
  s.plan,
  s.price,
  s.currency,
  s.is_churned,
  s.dbt_valid_from as valid_from,
  s.dbt_valid_to as valid_to,
  s.dbt_is_current as is_current,
  lag(s.plan) over w as previous_plan,
  case
    when lag(s.user_id) over w is null then 'first seen'
    when s.plan is distinct from lag(s.plan) over w then 'plan change'
    when s.price is distinct from lag(s.price) over w or s.currency is distinct from lag(s.currency) over w then 'price change'
    else 'status change'
  end as change_kind
from {{ref "users_plan_snapshot"}} as s
window w as (partition by s.user_id order by s.dbt_valid_from)
