-- Each business mart has one row per its grain (a null is one value here, as GROUP BY has it):
-- returns the grains that repeat.
select 'content_popularity_by_region_hour' as mart, concat_ws(' · ', show_id, region, local_hour, local_weekday) as grain
from {{ref "content_popularity_by_region_hour"}} group by show_id, region, local_hour, local_weekday having count(*) > 1
union all
select 'user_churn_signals', concat_ws(' · ', user_id, snapshot_date)
from {{ref "user_churn_signals"}} group by user_id, snapshot_date having count(*) > 1
union all
select 'genre_format_engagement', concat_ws(' · ', genre, format, region, segment)
from {{ref "genre_format_engagement"}} group by genre, format, region, segment having count(*) > 1
union all
select 'rating_trends_monthly', concat_ws(' · ', rated_month, genre, release_cohort)
from {{ref "rating_trends_monthly"}} group by rated_month, genre, release_cohort having count(*) > 1
union all
select 'retention_cohorts', concat_ws(' · ', cohort_month, months_since_signup)
from {{ref "retention_cohorts"}} group by cohort_month, months_since_signup having count(*) > 1
