{{!-- An event time from the feeds, whatever its format, as timestamptz. `col` is the text column,
`tz` an expression for the member's IANA time zone (for times written without an offset). Unknown
formats give null, and the row is rejected by the caller. --}}
case
  when {{col}} ~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)$' then {{col}}::timestamptz
  when {{col}} ~ '^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$' then {{col}}::timestamp at time zone {{tz}}
  when {{col}} ~ '^\d{9,11}$' then to_timestamp({{col}}::bigint)
  when {{col}} ~ '^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$' then to_timestamp({{col}}, 'MM/DD/YYYY HH24:MI')::timestamp at time zone {{tz}}
end
