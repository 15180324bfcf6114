-- One row per member and weekly snapshot date: their behaviour before the snapshot (member-local
-- days) and whether they cancelled in the 30 days from it. The ML training table. Snapshots fall
-- every 7 days from day 28 of the data; the label is null while its 30 days have not all arrived.
with bounds as (
  select
    (select min(day) from {{ref "int_user_days"}}) as first_day,
    (select max(ingested_at at time zone 'UTC')::date + 1 from {{ref "fct_views"}}) as end_day
),
snapshots as (
  select s::date as snapshot_date, (s::date + 30) <= b.end_day as label_complete
  from bounds as b, generate_series(b.first_day + 28, b.end_day - 1, interval '7 days') as s
),
status_events as (
  select e.user_id, e.event_type, e.plan, e.price, e.previous_price, e.event_at, e.event_id,
    (e.event_at at time zone u.time_zone)::date as local_day
  from {{ref "fct_subscription_events"}} as e
  join {{ref "dim_users"}} as u using (user_id)
),
candidates as (
  select u.user_id, s.snapshot_date, s.label_complete, u.signup_on
  from {{ref "dim_users"}} as u
  join snapshots as s on u.signup_on <= s.snapshot_date
),
last_status as (
  -- The member's last start, cancel or reactivate before the snapshot day.
  select distinct on (c.user_id, c.snapshot_date) c.user_id, c.snapshot_date, e.event_type
  from candidates as c
  join status_events as e on e.user_id = c.user_id and e.local_day < c.snapshot_date and e.event_type in ('start', 'cancel', 'reactivate')
  order by c.user_id, c.snapshot_date, e.event_at desc, e.event_id desc
),
members as (
  -- At risk on the snapshot: joined by then, and not cancelled (or come back) as of its start.
  select c.*
  from candidates as c
  left join last_status as l using (user_id, snapshot_date)
  where coalesce(l.event_type, 'start') <> 'cancel'
),
activity as (
  select
    m.user_id,
    m.snapshot_date,
    max(d.day) as last_active_day,
    coalesce(sum(d.sessions) filter (where d.day >= m.snapshot_date - 28), 0) as sessions_28d,
    count(d.day) filter (where d.day >= m.snapshot_date - 28) as active_days_28d,
    coalesce(sum(d.seconds_watched) filter (where d.day >= m.snapshot_date - 28), 0) / 3600.0 as watch_hours_28d,
    coalesce(sum(d.seconds_watched) filter (where d.day < m.snapshot_date - 28), 0) / 3600.0 as watch_hours_prior_28d,
    avg(d.avg_completion) filter (where d.day >= m.snapshot_date - 28) as completion_rate_28d,
    -- The last week alone: engagement wanders, and the latest days say most about where it is now.
    coalesce(sum(d.sessions) filter (where d.day >= m.snapshot_date - 7), 0) as sessions_7d,
    coalesce(sum(d.seconds_watched) filter (where d.day >= m.snapshot_date - 7), 0) / 3600.0 as watch_hours_7d
  from members as m
  left join {{ref "int_user_days"}} as d on d.user_id = m.user_id and d.day < m.snapshot_date and d.day >= m.snapshot_date - 56
  group by 1, 2
),
ratings as (
  select
    m.user_id,
    m.snapshot_date,
    avg(r.stars) filter (where r.rated_on_local >= m.snapshot_date - 28) as avg_stars_28d,
    avg(r.stars) as avg_stars_before
  from members as m
  join {{ref "fct_ratings"}} as r on r.user_id = m.user_id and r.rated_on_local < m.snapshot_date
  group by 1, 2
),
billing as (
  select
    m.user_id,
    m.snapshot_date,
    count(*) filter (where e.event_type = 'payment_failure' and e.local_day >= m.snapshot_date - 28) as payment_failures_28d,
    coalesce(bool_or(e.event_type = 'price_change' and e.local_day >= m.snapshot_date - 45), false) as price_rise_45d,
    (array_agg(e.plan order by e.event_at desc, e.event_id desc))[1] as plan,
    (array_agg(e.price order by e.event_at desc, e.event_id desc))[1] as price
  from members as m
  join status_events as e on e.user_id = m.user_id and e.local_day < m.snapshot_date
  group by 1, 2
),
labels as (
  -- Cancelled on a member-local day in the 30 days from the snapshot.
  select distinct m.user_id, m.snapshot_date
  from members as m
  join status_events as e on e.user_id = m.user_id and e.event_type = 'cancel'
    and e.local_day >= m.snapshot_date and e.local_day < m.snapshot_date + 30
)
select
  m.user_id,
  m.snapshot_date,
  m.snapshot_date - m.signup_on as tenure_days,
  coalesce(m.snapshot_date - a.last_active_day, 56) as recency_days,
  a.sessions_28d,
  a.active_days_28d,
  round(a.watch_hours_28d, 3) as watch_hours_28d,
  round(a.watch_hours_prior_28d, 3) as watch_hours_prior_28d,
  round(a.watch_hours_28d - a.watch_hours_prior_28d, 3) as watch_hours_change,
  a.sessions_7d,
  round(a.watch_hours_7d, 3) as watch_hours_7d,
  round(a.completion_rate_28d, 3) as completion_rate_28d,
  round(r.avg_stars_28d - r.avg_stars_before, 3) as rating_drift,
  coalesce(b.payment_failures_28d, 0) as payment_failures_28d,
  coalesce(b.price_rise_45d, false) as price_rise_45d,
  b.plan,
  b.price,
  case when m.label_complete then (l.user_id is not null)::int end as churned_next_30d
from members as m
join activity as a using (user_id, snapshot_date)
left join ratings as r using (user_id, snapshot_date)
left join billing as b using (user_id, snapshot_date)
left join labels as l using (user_id, snapshot_date)
