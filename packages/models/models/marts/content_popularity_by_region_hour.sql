-- Which shows are watched most, by region and local hour (with daypart and weekday): views, viewers,
-- watch time, and the show's rank in its region and hour.
with grouped as (
  select
    v.show_id,
    v.region,
    v.local_hour,
    v.daypart,
    v.local_weekday,
    count(*) as views,
    count(distinct v.user_id) as viewers,
    round(sum(v.seconds_watched) / 3600.0, 2) as watch_hours
  from {{ref "fct_views"}} as v
  where v.is_real_view
  group by 1, 2, 3, 4, 5
),
by_hour as (
  select show_id, region, local_hour, daypart, sum(views) as views, sum(watch_hours) as watch_hours
  from grouped
  group by 1, 2, 3, 4
)
select
  g.show_id,
  c.show_title,
  c.genre,
  c.format,
  g.region,
  g.local_hour,
  g.daypart,
  g.local_weekday,
  g.views,
  g.viewers,
  g.watch_hours,
  rank() over (partition by g.region, g.local_hour, g.local_weekday order by g.views desc, g.show_id) as rank_in_region_hour_weekday,
  h.rank_in_region_hour
from grouped as g
join (select distinct show_id, show_title, genre, format from {{ref "dim_content"}}) as c on c.show_id = g.show_id
join (
  select show_id, region, local_hour, rank() over (partition by region, local_hour order by views desc, show_id) as rank_in_region_hour
  from by_hour
) as h on h.show_id = g.show_id and h.region = g.region and h.local_hour = g.local_hour
