-- Members by signup month and months since signup: how many were still active (watched at least
-- once in that month) and as a share of the cohort.
with cohorts as (
  select user_id, date_trunc('month', signup_on)::date as cohort_month from {{ref "dim_users"}}
),
active_months as (
  select distinct user_id, date_trunc('month', day)::date as active_month from {{ref "int_user_days"}}
),
sized as (
  select cohort_month, count(*) as cohort_size from cohorts group by 1
)
select
  c.cohort_month,
  ((extract(year from a.active_month) - extract(year from c.cohort_month)) * 12 + extract(month from a.active_month) - extract(month from c.cohort_month))::int as months_since_signup,
  s.cohort_size,
  count(*) as active_members,
  round(count(*)::numeric / s.cohort_size, 4) as retention
from cohorts as c
join active_months as a on a.user_id = c.user_id and a.active_month >= c.cohort_month
join sized as s on s.cohort_month = c.cohort_month
group by 1, 2, 3
