-- Daily KPIs (UTC days): active members (DAU, and WAU / MAU over the trailing 7 / 28 days), watch
-- time, sessions, new, churned and reactivated members.
with activity as (
  select started_on_utc as day, user_id, sum(seconds_watched) as seconds, count(*) as sessions
  from {{ref "fct_views"}}
  group by 1, 2
),
days as (
  -- From the first day anyone watched: before it every KPI is zero.
  select date_day from {{ref "dim_date"}} where date_day >= (select min(day) from activity)
),
daily as (
  select day, count(*) as dau, sum(seconds) / 3600.0 as watch_hours, sum(sessions) as sessions
  from activity
  group by 1
),
rolling as (
  select d.date_day,
    count(distinct a.user_id) filter (where a.day > d.date_day - 7) as wau,
    count(distinct a.user_id) as mau
  from days as d
  join activity as a on a.day > d.date_day - 28 and a.day <= d.date_day
  group by d.date_day
),
events as (
  select event_on as day,
    count(*) filter (where event_type = 'start') as new_members,
    count(*) filter (where event_type = 'cancel') as churned_members,
    count(*) filter (where event_type = 'reactivate') as reactivated_members
  from {{ref "fct_subscription_events"}}
  group by 1
)
select
  d.date_day,
  coalesce(y.dau, 0) as dau,
  coalesce(r.wau, 0) as wau,
  coalesce(r.mau, 0) as mau,
  round(coalesce(y.watch_hours, 0), 2) as watch_hours,
  coalesce(y.sessions, 0) as sessions,
  coalesce(e.new_members, 0) as new_members,
  coalesce(e.churned_members, 0) as churned_members,
  coalesce(e.reactivated_members, 0) as reactivated_members
from days as d
left join daily as y on y.day = d.date_day
left join rolling as r on r.date_day = d.date_day
left join events as e on e.day = d.date_day
