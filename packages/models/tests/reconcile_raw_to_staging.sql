-- Every raw row is either kept or rejected, for every feed: returns the feeds where the counts differ.
with counts as (
  select 'users' as feed, (select count(*) from {{source "raw" "users"}}) as raw_rows, (select count(*) from {{ref "stg_users"}}) as kept, (select count(*) from {{ref "stg_users_rejects"}}) as rejected
  union all
  select 'content', (select count(*) from {{source "raw" "content"}}), (select count(*) from {{ref "stg_content"}}), (select count(*) from {{ref "stg_content_rejects"}})
  union all
  select 'views', (select count(*) from {{source "raw" "views"}}), (select count(*) from {{ref "stg_views"}}), (select count(*) from {{ref "stg_views_rejects"}})
  union all
  select 'ratings', (select count(*) from {{source "raw" "ratings"}}), (select count(*) from {{ref "stg_ratings"}}), (select count(*) from {{ref "stg_ratings_rejects"}})
  union all
  select 'subscriptions', (select count(*) from {{source "raw" "subscriptions"}}), (select count(*) from {{ref "stg_subscriptions"}}), (select count(*) from {{ref "stg_subscriptions_rejects"}})
)
select * from counts where raw_rows <> kept + rejected
