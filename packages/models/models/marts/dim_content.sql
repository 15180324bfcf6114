-- One row per title (movies, shows and episodes), with its show's genre and format.
select
  c.content_id,
  c.content_type,
  c.title,
  coalesce(c.series_id, c.content_id) as show_id,
  coalesce(s.title, c.title) as show_title,
  case c.content_type when 'Movie' then 'Movie' else 'Series' end as format,
  coalesce(s.primary_genre, c.primary_genre) as genre,
  coalesce(s.genres, c.genres) as genres,
  coalesce(s.primary_country, c.primary_country) as country,
  c.release_year,
  c.added_on,
  c.maturity_rating,
  c.duration_minutes,
  c.season_number,
  c.episode_number,
  c.language
from {{ref "stg_content"}} as c
left join {{ref "stg_content"}} as s on s.content_id = c.series_id
