{{config materialized="table"}}
-- One row per member and local day they watched: sessions, watch time, completion. Shared by the
-- engagement and churn marts.
select
  user_id,
  started_on_local as day,
  count(*) as sessions,
  sum(seconds_watched) as seconds_watched,
  avg(completion) as avg_completion
from {{ref "fct_views"}}
group by 1, 2
