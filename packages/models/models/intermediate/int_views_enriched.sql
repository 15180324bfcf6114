-- Viewing sessions with their member and title: region, local hour and day, daypart, show-level
-- genre and format. What the viewing marts share.
select
  v.view_id,
  v.user_id,
  v.content_id,
  coalesce(c.series_id, c.content_id) as show_id,
  case c.content_type when 'Episode' then 'Series' else 'Movie' end as format,
  coalesce(s.primary_genre, c.primary_genre) as genre,
  u.country_code,
  u.region,
  v.device,
  v.started_at,
  v.started_at_local,
  (v.started_at at time zone 'UTC')::date as started_on_utc,
  v.started_at_local::date as started_on_local,
  extract(hour from v.started_at_local)::int as local_hour,
  extract(isodow from v.started_at_local)::int as local_weekday,
  case
    when extract(hour from v.started_at_local) between 6 and 11 then 'morning'
    when extract(hour from v.started_at_local) between 12 and 17 then 'afternoon'
    when extract(hour from v.started_at_local) between 18 and 22 then 'evening'
    else 'night'
  end as daypart,
  v.seconds_watched,
  v.completion,
  v.seconds_watched >= {{var "min_view_seconds"}} as is_real_view,
  v.ingested_at,
  -- When everything this row needs had arrived: its own row, its member's and its title's.
  greatest(v.ingested_at, u.ingested_at, c.ingested_at) as complete_at
from {{ref "stg_views"}} as v
join {{ref "stg_users"}} as u on u.user_id = v.user_id
join {{ref "stg_content"}} as c on c.content_id = v.content_id
left join {{ref "stg_content"}} as s on s.content_id = c.series_id
