-- Ratings by UTC month, rating member's region and genre: count and total stars, so that the average
-- over any months and regions is total / count.
select
  rated_month,
  coalesce(region, 'Unknown') as region,
  genre,
  count(*) as ratings,
  sum(stars) as stars_total,
  round(avg(stars), 3) as avg_stars
from {{ref "fct_ratings"}}
group by 1, 2, 3
