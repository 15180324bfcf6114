-- One row per calendar day from the first signup or session to the last.
with bounds as (
  select least(min(signup_on), (select min(started_on_local) from {{ref "int_views_enriched"}})) as first_day,
         greatest(max(signup_on), (select max(started_on_local) from {{ref "int_views_enriched"}})) as last_day
  from (select (signup_at at time zone time_zone)::date as signup_on from {{ref "stg_users"}}) as s
)
select
  d::date as date_day,
  extract(isodow from d)::int as iso_weekday,
  to_char(d, 'FMDay') as weekday_name,
  extract(isodow from d) in (6, 7) as is_weekend,
  date_trunc('week', d)::date as week_start,
  date_trunc('month', d)::date as month_start,
  extract(year from d)::int as year
from bounds, generate_series(bounds.first_day, bounds.last_day, interval '1 day') as d
