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
  -- A member counts towards WAU (MAU) on each day within 7 (28) days after an active day. Each
  -- active day covers the days up to the next one, so the spans of a member never overlap.
  select d.day as date_day,
    count(*) filter (where d.day - a.day < 7) as wau,
    count(*) as mau
  from (
    select user_id, day, lead(day) over (partition by user_id order by day) as next_day
    from activity
  ) as a
  cross join lateral generate_series(a.day, least(a.day + 27, coalesce(a.next_day - 1, a.day + 27)), interval '1 day') as g(moment)
  cross join lateral (select g.moment::date as day) as d
  group by d.day
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
