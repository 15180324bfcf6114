-- Members by signup month, region and months since signup, and how many of them watched in that
-- month. Every cohort and region has a row (months_since_signup 0 with no one active when none of
-- them ever watched), so its size is always there to sum.
with cohorts as (
  select user_id, coalesce(region, 'Unknown') as region, date_trunc('month', signup_on)::date as cohort_month from {{ref "dim_users"}}
),
active_months as (
  select distinct user_id, date_trunc('month', day)::date as active_month from {{ref "int_user_days"}}
),
sized as (
  select cohort_month, region, count(*) as cohort_size from cohorts group by 1, 2
),
active as (
  select
    c.cohort_month,
    c.region,
    ((extract(year from a.active_month) - extract(year from c.cohort_month)) * 12 + extract(month from a.active_month) - extract(month from c.cohort_month))::int as months_since_signup,
    count(*) as active_members
  from cohorts as c
  join active_months as a on a.user_id = c.user_id and a.active_month >= c.cohort_month
  group by 1, 2, 3
)
select
  s.cohort_month,
  s.region,
  coalesce(a.months_since_signup, 0) as months_since_signup,
  s.cohort_size,
  coalesce(a.active_members, 0) as active_members,
  round(coalesce(a.active_members, 0)::numeric / s.cohort_size, 4) as retention
from sized as s
left join active as a using (cohort_month, region)
