-- Running totals of real views and watch time per region and show, one row for every member-local day
-- of the data (also days without views): the views of any date range are the total on its last day
-- minus the total on the day before its first, so the portal's top titles read two days' rows
-- instead of summing every day of the range.
with daily as (
  select started_on_local as date_day, coalesce(region, 'Unknown') as region, show_id, count(*) as views, sum(seconds_watched) / 3600.0 as watch_hours
  from {{ref "fct_views"}}
  where is_real_view
  group by 1, 2, 3
),
days as (
  select g.day::date as date_day
  from generate_series((select min(date_day) from daily), (select max(date_day) from daily), interval '1 day') as g(day)
),
pairs as (
  select distinct region, show_id from daily
),
shows as (
  select distinct on (show_id) show_id, show_title, genre, format from {{ref "dim_content"}} order by show_id, content_id
)
select
  d.date_day,
  p.region,
  p.show_id,
  s.show_title,
  s.genre,
  s.format,
  sum(coalesce(v.views, 0)) over running as views_to_date,
  round(sum(coalesce(v.watch_hours, 0)) over running, 3) as watch_hours_to_date
from pairs as p
cross join days as d
join shows as s on s.show_id = p.show_id
left join daily as v on v.date_day = d.date_day and v.region = p.region and v.show_id = p.show_id
window running as (partition by p.region, p.show_id order by d.date_day)
-- Stored in day order, so that the rows of one day sit together on disk (a range reads two days).
order by d.date_day, p.region, p.show_id
