-- The portal's region marts have one row per key and add up to the facts and the global marts: returns a row if not.
select 'kpi_daily_by_region: more than one row per day and region' as problem
from {{ref "kpi_daily_by_region"}} group by date_day, region having count(*) > 1
union all
select 'kpi_daily_by_region: the DAU of ' || k.date_day || ' summed over the regions is not the members who watched that day'
from (select date_day, sum(dau) as dau, sum(sessions) as sessions from {{ref "kpi_daily_by_region"}} group by 1) as k
left join (select started_on_utc as date_day, count(distinct user_id) as dau, count(*) as sessions from {{ref "fct_views"}} group by 1) as v using (date_day)
where k.dau <> coalesce(v.dau, 0) or k.sessions <> coalesce(v.sessions, 0)
union all
select 'retention_cohorts_by_region does not sum to retention_cohorts for ' || c.cohort_month || ' + ' || c.months_since_signup
from {{ref "retention_cohorts"}} as c
left join (
  select cohort_month, months_since_signup, sum(active_members) as active_members from {{ref "retention_cohorts_by_region"}} group by 1, 2
) as r using (cohort_month, months_since_signup)
where r.active_members is distinct from c.active_members
union all
select 'the views of ' || h.region || ' differ between views_by_region_hour_daily, genre_format_daily_by_region and show_views_running_by_region'
from (select region, sum(views) as views from {{ref "views_by_region_hour_daily"}} group by 1) as h
left join (select region, sum(views) as views from {{ref "genre_format_daily_by_region"}} group by 1) as g using (region)
left join (
  select region, sum(views_to_date) as views from {{ref "show_views_running_by_region"}}
  where date_day = (select max(date_day) from {{ref "show_views_running_by_region"}}) group by 1
) as r using (region)
where g.views is distinct from h.views or r.views is distinct from h.views
