-- Real views, watch time and completion by member-local day, region, genre and format: the portal's
-- genre × format engagement for any date range and region, summed from a few thousand rows.
select
  started_on_local as date_day,
  coalesce(region, 'Unknown') as region,
  genre,
  format,
  count(*) as views,
  round(sum(seconds_watched) / 3600.0, 3) as watch_hours,
  coalesce(sum(completion), 0) as completion_total,
  count(completion) as views_with_completion
from {{ref "fct_views"}}
where is_real_view
group by 1, 2, 3, 4
