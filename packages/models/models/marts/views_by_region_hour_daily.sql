-- Real views and watch time by member-local day, region and local hour: the portal's popularity
-- heatmap for any date range and region without scanning fct_views.
select
  started_on_local as date_day,
  coalesce(region, 'Unknown') as region,
  local_hour,
  count(*) as views,
  count(distinct user_id) as viewers,
  round(sum(seconds_watched) / 3600.0, 3) as watch_hours
from {{ref "fct_views"}}
where is_real_view
group by 1, 2, 3
