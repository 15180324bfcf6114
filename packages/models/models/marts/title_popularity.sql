{{config tags="daily"}}
select
  title,
  count(distinct user_id) as viewers,
  sum(sessions) as sessions,
  round(sum(seconds_watched) / 3600.0, 2) as hours_watched
from {{ref "int_user_titles"}}
group by title
