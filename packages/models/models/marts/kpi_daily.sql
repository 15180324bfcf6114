-- Daily KPIs (UTC days): active members (DAU, and WAU / MAU over the trailing 7 / 28 days), watch
-- time, sessions, new, churned and reactivated members. A member belongs to one region, so these are
-- kpi_daily_by_region summed over the regions.
select
  date_day,
  sum(dau)::bigint as dau,
  sum(wau)::bigint as wau,
  sum(mau)::bigint as mau,
  round(sum(watch_hours), 2) as watch_hours,
  sum(sessions) as sessions,
  sum(new_members)::bigint as new_members,
  sum(churned_members)::bigint as churned_members,
  sum(reactivated_members)::bigint as reactivated_members
from {{ref "kpi_daily_by_region"}}
group by date_day
