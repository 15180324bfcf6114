{{config materialized="incremental" unique_key="view_id"}}
-- One row per kept viewing session. Incremental: each build adds the sessions that arrived since the
-- last one (late arrivals included, as they are selected by arrival, not by start).
select *
from {{ref "int_views_enriched"}}
{{#if is_incremental}}
where ingested_at > (select coalesce(max(ingested_at), '-infinity') from {{this}})
{{/if}}
