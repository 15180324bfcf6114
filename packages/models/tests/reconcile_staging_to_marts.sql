-- Kept sessions and their watch time reach fct_views and kpi_daily whole: returns a row if not.
select *
from (
  select
    (select count(*) from {{ref "stg_views"}}) as staged_views,
    (select count(*) from {{ref "fct_views"}}) as fact_views,
    (select coalesce(sum(seconds_watched), 0) / 3600.0 from {{ref "stg_views"}}) as staged_hours,
    (select coalesce(sum(watch_hours), 0) from {{ref "kpi_daily"}}) as kpi_hours
) as totals
where staged_views <> fact_views or abs(staged_hours - kpi_hours) > 0.01 * (select count(*) from {{ref "kpi_daily"}})
