-- What staging keeps reaches the marts whole: sessions and their watch time in fct_views and
-- kpi_daily, and every kept rating, subscription event, member and title in its fact or dimension.
-- Returns a row per feed that does not add up.
with totals as (
  select
    (select count(*) from {{ref "stg_views"}}) as staged_views,
    (select count(*) from {{ref "fct_views"}}) as fact_views,
    (select coalesce(sum(seconds_watched), 0) / 3600.0 from {{ref "stg_views"}}) as staged_hours,
    (select coalesce(sum(watch_hours), 0) from {{ref "kpi_daily"}}) as kpi_hours,
    (select count(*) from {{ref "kpi_daily"}}) as kpi_days
)
select 'views' as feed, staged_views as staged, fact_views as in_marts from totals
where staged_views <> fact_views or abs(staged_hours - kpi_hours) > 0.01 * kpi_days
union all
select 'ratings', (select count(*) from {{ref "stg_ratings"}}), (select count(*) from {{ref "fct_ratings"}})
where (select count(*) from {{ref "stg_ratings"}}) <> (select count(*) from {{ref "fct_ratings"}})
union all
select 'subscriptions', (select count(*) from {{ref "stg_subscriptions"}}), (select count(*) from {{ref "fct_subscription_events"}})
where (select count(*) from {{ref "stg_subscriptions"}}) <> (select count(*) from {{ref "fct_subscription_events"}})
union all
select 'users', (select count(*) from {{ref "stg_users"}}), (select count(*) from {{ref "dim_users"}})
where (select count(*) from {{ref "stg_users"}}) <> (select count(*) from {{ref "dim_users"}})
union all
select 'content', (select count(*) from {{ref "stg_content"}}), (select count(*) from {{ref "dim_content"}})
where (select count(*) from {{ref "stg_content"}}) <> (select count(*) from {{ref "dim_content"}})
