-- Every raw catalog row, parsed, with the reason it cannot be kept (null when it can). Genre and
-- country spellings are conformed to the spelling most rows use.
with numbered as (
  select
    r.*,
    nullif(trim(r.content_id), '') as content_key,
    row_number() over (partition by trim(r.content_id) order by r.ingested_at) as copy_number,
    -- Joins below go by this row number, not by content_key: a null key is a row too, and
    -- "is not distinct from" cannot be hashed (28k titles took minutes joined that way).
    row_number() over () as row_key
  from {{source "raw" "content"}} as r
),
genre_spellings as (
  select lower(trim(g)) as genre_key, mode() within group (order by trim(g)) as genre
  from numbered, unnest(string_to_array({{> blank_to_null col="numbered.listed_in"}}, ',')) as g
  where trim(g) <> ''
  group by 1
),
country_spellings as (
  select lower(trim(c)) as country_key, mode() within group (order by trim(c)) as country
  from numbered, unnest(string_to_array({{> blank_to_null col="numbered.country"}}, ',')) as c
  where trim(c) <> ''
  group by 1
),
title_genres as (
  select n.row_key, array_agg(gs.genre order by g.ordinality) as genres
  from numbered as n
  cross join lateral unnest(string_to_array({{> blank_to_null col="n.listed_in"}}, ',')) with ordinality as g(name, ordinality)
  join genre_spellings as gs on gs.genre_key = lower(trim(g.name))
  group by n.row_key
),
title_countries as (
  select n.row_key, array_agg(cs.country order by c.ordinality) as countries
  from numbered as n
  cross join lateral unnest(string_to_array({{> blank_to_null col="n.country"}}, ',')) with ordinality as c(name, ordinality)
  join country_spellings as cs on cs.country_key = lower(trim(c.name))
  group by n.row_key
),
parsed as (
  select
    n.*,
    -- A duration written in the rating column (a known quirk of the catalog).
    case when trim(n.rating) ~ '^\d+ min$' then trim(n.rating) else {{> blank_to_null col="n.duration"}} end as duration_text,
    case when trim(n.rating) ~ '^\d+ min$' then null else {{> blank_to_null col="n.rating"}} end as maturity_rating,
    case when trim(n.date_added) ~ '^[A-Za-z]+ \d{1,2}, \d{4}$' then to_date(trim(n.date_added), 'FMMonth DD, YYYY') end as added_on,
    tg.genres,
    tc.countries
  from numbered as n
  left join title_genres as tg on tg.row_key = n.row_key
  left join title_countries as tc on tc.row_key = n.row_key
)
select
  p.content_key as content_id,
  p.content_type,
  p.title,
  {{> blank_to_null col="p.director"}} as director,
  {{> blank_to_null col="p.cast"}} as "cast",
  p.countries,
  p.countries[1] as primary_country,
  p.added_on,
  case when p.release_year ~ '^\d{4}$' then p.release_year::int end as release_year,
  p.maturity_rating,
  p.duration_text as duration,
  case when p.duration_text ~ '^\d+ min$' then split_part(p.duration_text, ' ', 1)::int end as duration_minutes,
  case when p.duration_text ~ '^\d+ Seasons?$' then split_part(p.duration_text, ' ', 1)::int end as seasons,
  coalesce(p.genres, array['Uncategorized']) as genres,
  coalesce(p.genres[1], 'Uncategorized') as primary_genre,
  {{> blank_to_null col="p.description"}} as description,
  nullif(p.series_id, '') as series_id,
  case when p.season_number ~ '^\d+$' then p.season_number::int end as season_number,
  case when p.episode_number ~ '^\d+$' then p.episode_number::int end as episode_number,
  nullif(p.language, '') as language,
  p.ingested_at::timestamptz as ingested_at,
  p.content_id as raw_content_id,
  case
    when p.content_key is null then 'no content_id'
    when p.copy_number > 1 then 'duplicate content_id'
    when p.content_type not in ('Movie', 'TV Show', 'Episode') then 'unknown content_type'
  end as reject_reason
from parsed as p
