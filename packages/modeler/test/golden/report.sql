
with "__reel_cte__recent" as (
select * from "staging"."stg_views" where minutes > 5
),
totals as (
  select device, sum(minutes) as minutes from "__reel_cte__recent" group by device
)
select * from totals
