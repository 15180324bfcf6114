-- One row per kept rating, with the title's genre and the member's region.
select
  r.rating_id,
  r.user_id,
  r.content_id,
  c.show_id,
  c.genre,
  c.format,
  c.release_year,
  u.region,
  r.stars,
  r.rated_at,
  (r.rated_at at time zone u.time_zone)::date as rated_on_local,
  date_trunc('month', r.rated_at at time zone 'UTC')::date as rated_month
from {{ref "stg_ratings"}} as r
join {{ref "dim_content"}} as c on c.content_id = r.content_id
join {{ref "stg_users"}} as u on u.user_id = r.user_id
