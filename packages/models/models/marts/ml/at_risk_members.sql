-- Members the churn model puts at risk now (high and medium bands), with who they are and the
-- signals of their latest snapshot, so a retention team sees why. Scores come from ml.churn_scores,
-- written by `ml score churn`: tagged ml, this is built after scoring (`model build -s tag:ml`).
with latest_signals as (
  select distinct on (user_id) *
  from {{ref "user_churn_signals"}}
  order by user_id, snapshot_date desc
)
select
  s.user_id,
  s.score as churn_score,
  s.risk_band,
  rank() over (order by s.score desc) as risk_rank,
  s.model_version,
  s.scored_at,
  u.region,
  u.country_code,
  u.age_band,
  u.acquisition_channel,
  u.current_plan,
  u.current_price,
  c.snapshot_date,
  c.tenure_days,
  c.recency_days,
  c.sessions_28d,
  c.watch_hours_28d,
  c.watch_hours_change,
  c.completion_rate_28d,
  c.payment_failures_28d,
  c.price_rise_45d
from {{source "ml" "churn_scores"}} as s
join {{ref "dim_users"}} as u using (user_id)
left join latest_signals as c using (user_id)
where s.risk_band in ('high', 'medium')
  and not u.is_churned
