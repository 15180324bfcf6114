-- Ratings by month, genre and release cohort: average stars, a Bayesian-adjusted average (shrunk
-- towards the month's overall mean with the weight of `rating_prior_weight` ratings), and the
-- 3-month rolling average.
with monthly as (
  select
    rated_month,
    genre,
    (release_year / 5) * 5 as release_cohort,
    count(*) as ratings,
    avg(stars) as avg_stars
  from {{ref "fct_ratings"}}
  group by 1, 2, 3
),
overall as (
  select rated_month, avg(stars) as month_mean from {{ref "fct_ratings"}} group by 1
)
select
  m.rated_month,
  m.genre,
  m.release_cohort,
  m.ratings,
  round(m.avg_stars, 3) as avg_stars,
  round((m.avg_stars * m.ratings + o.month_mean * {{var "rating_prior_weight" 20}}) / (m.ratings + {{var "rating_prior_weight" 20}}), 3) as bayesian_avg_stars,
  round(avg(m.avg_stars) over (partition by m.genre, m.release_cohort order by m.rated_month range between interval '2 months' preceding and current row), 3) as rolling_3m_avg_stars
from monthly as m
join overall as o using (rated_month)
