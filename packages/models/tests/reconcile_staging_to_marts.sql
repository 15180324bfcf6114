-- What staging keeps reaches the marts whole: sessions and their watch time in fct_views and
-- kpi_daily, and every kept rating, subscription event, member and title in its fact or dimension.
-- Returns a row per feed that does not add up.
with counts (feed, staged, in_marts) as (
  values
    ('views', (select count(*) from {{ref "stg_views"}}), (select count(*) from {{ref "fct_views"}})),
    ('ratings', (select count(*) from {{ref "stg_ratings"}}), (select count(*) from {{ref "fct_ratings"}})),
    ('subscriptions', (select count(*) from {{ref "stg_subscriptions"}}), (select count(*) from {{ref "fct_subscription_events"}})),
    ('users', (select count(*) from {{ref "stg_users"}}), (select count(*) from {{ref "dim_users"}})),
    ('content', (select count(*) from {{ref "stg_content"}}), (select count(*) from {{ref "dim_content"}}))
),
hours as (
  select
    (select coalesce(sum(seconds_watched), 0) / 3600.0 from {{ref "stg_views"}}) as staged,
    (select coalesce(sum(watch_hours), 0) from {{ref "kpi_daily"}}) as in_marts,
    (select count(*) from {{ref "kpi_daily"}}) as days
)
select feed, staged::numeric, in_marts::numeric from counts where staged <> in_marts
union all
-- kpi_daily rounds each day's hours to 2 decimals.
select 'watch hours', round(staged, 2), round(in_marts, 2) from hours where abs(staged - in_marts) > 0.01 * days
