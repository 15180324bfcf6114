-- Sessions long enough to count as a real view, per user and title.
select
  user_id,
  title,
  count(*) as sessions,
  sum(seconds_watched) as seconds_watched
from {{ref "stg_plays"}}
where seconds_watched >= {{var "min_seconds"}}
group by user_id, title
