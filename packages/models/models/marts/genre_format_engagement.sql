-- Which genres and formats drive engagement, by region and member segment (plan): watch hours,
-- completion, sessions per viewer, and the share of the region-and-segment's watch time.
with sessions as (
  select v.genre, v.format, v.region, u.current_plan as segment, v.user_id, v.seconds_watched, v.completion
  from {{ref "fct_views"}} as v
  join {{ref "dim_users"}} as u using (user_id)
  where v.is_real_view
),
grouped as (
  select
    genre,
    format,
    region,
    coalesce(segment, 'unknown') as segment,
    count(*) as sessions,
    count(distinct user_id) as viewers,
    sum(seconds_watched) / 3600.0 as watch_hours,
    avg(completion) as avg_completion
  from sessions
  group by 1, 2, 3, 4
)
select
  genre,
  format,
  region,
  segment,
  sessions,
  viewers,
  round(watch_hours, 2) as watch_hours,
  round(avg_completion, 3) as avg_completion,
  round(sessions::numeric / viewers, 2) as sessions_per_viewer,
  round(watch_hours / sum(watch_hours) over (partition by region, segment), 4) as share_of_watch_time
from grouped
