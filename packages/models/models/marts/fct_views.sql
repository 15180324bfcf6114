{{config materialized="incremental" unique_key="view_id"}}
-- One row per kept viewing session. Incremental: each build adds the sessions that became complete
-- since the last one — arrived, with their member and title known — so late arrivals, and sessions
-- whose member's or title's row came after them, are picked up (selected by arrival, not by start).
select *
from {{ref "int_views_enriched"}}
{{#if is_incremental}}
where complete_at > (select coalesce(max(complete_at), '-infinity') from {{this}})
{{/if}}
