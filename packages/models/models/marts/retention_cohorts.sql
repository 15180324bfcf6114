-- Members by signup month and months since signup: how many were still active (watched at least
-- once in that month) and as a share of the cohort; retention_cohorts_by_region summed over the regions.
with sizes as (
  select cohort_month, sum(cohort_size) as cohort_size
  from (select distinct cohort_month, region, cohort_size from {{ref "retention_cohorts_by_region"}}) as by_region
  group by 1
)
select
  r.cohort_month,
  r.months_since_signup,
  s.cohort_size::bigint as cohort_size,
  sum(r.active_members)::bigint as active_members,
  round(sum(r.active_members)::numeric / s.cohort_size, 4) as retention
from {{ref "retention_cohorts_by_region"}} as r
join sizes as s using (cohort_month)
group by r.cohort_month, r.months_since_signup, s.cohort_size
having sum(r.active_members) > 0
