{{!-- A feed's numeric id as bigint, or null when the text is not one. --}}
case when trim({{col}}) ~ '^\d{1,18}$' then trim({{col}})::bigint end
