-- kpi_daily per member region, for the portal's region-scoped users: DAU, WAU, MAU, watch time,
-- sessions, new, churned and reactivated members, and subscribers. A member belongs to one region, so
-- every count here, summed over the regions of a day, is kpi_daily's count of that day.
with activity as (
  select started_on_utc as day, coalesce(region, 'Unknown') as region, user_id, sum(seconds_watched) as seconds, count(*) as sessions
  from {{ref "fct_views"}}
  group by 1, 2, 3
),
regions as (
  select distinct coalesce(region, 'Unknown') as region from {{ref "dim_users"}}
),
days as (
  select date_day from {{ref "dim_date"}} where date_day >= (select min(day) from activity)
),
daily as (
  select day, region, count(*) as dau, sum(seconds) / 3600.0 as watch_hours, sum(sessions) as sessions
  from activity
  group by 1, 2
),
rolling as (
  -- As in kpi_daily: each active day of a member covers the days up to their next one (at most 28).
  select d.day as date_day, a.region,
    count(*) filter (where d.day - a.day < 7) as wau,
    count(*) as mau
  from (
    select user_id, region, day, lead(day) over (partition by user_id order by day) as next_day
    from activity
  ) as a
  cross join lateral generate_series(a.day, least(a.day + 27, coalesce(a.next_day - 1, a.day + 27)), interval '1 day') as g(moment)
  cross join lateral (select g.moment::date as day) as d
  group by 1, 2
),
events as (
  select e.event_on as day, coalesce(u.region, 'Unknown') as region,
    count(*) filter (where e.event_type = 'start') as new_members,
    count(*) filter (where e.event_type = 'cancel') as churned_members,
    count(*) filter (where e.event_type = 'reactivate') as reactivated_members
  from {{ref "fct_subscription_events"}} as e
  join {{ref "dim_users"}} as u using (user_id)
  group by 1, 2
),
subscribers as (
  -- Running starts + reactivations − cancels over every day since the first event.
  select g.day::date as day, r.region,
    sum(coalesce(e.new_members + e.reactivated_members - e.churned_members, 0)) over (partition by r.region order by g.day) as subscribers
  from generate_series((select least(min(day), (select min(date_day) from days)) from events), (select max(date_day) from days), interval '1 day') as g(day)
  cross join regions as r
  left join events as e on e.day = g.day::date and e.region = r.region
)
select
  d.date_day,
  r.region,
  coalesce(y.dau, 0) as dau,
  coalesce(w.wau, 0) as wau,
  coalesce(w.mau, 0) as mau,
  round(coalesce(y.watch_hours, 0), 3) as watch_hours,
  coalesce(y.sessions, 0) as sessions,
  coalesce(e.new_members, 0) as new_members,
  coalesce(e.churned_members, 0) as churned_members,
  coalesce(e.reactivated_members, 0) as reactivated_members,
  coalesce(s.subscribers, 0) as subscribers
from days as d
cross join regions as r
left join daily as y on y.day = d.date_day and y.region = r.region
left join rolling as w on w.date_day = d.date_day and w.region = r.region
left join events as e on e.day = d.date_day and e.region = r.region
left join subscribers as s on s.day = d.date_day and s.region = r.region
