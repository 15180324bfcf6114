{{!-- A text value with blanks and the usual spellings of "nothing" turned into null. --}}
nullif(nullif(nullif(nullif(trim({{col}}), ''), 'NULL'), 'null'), 'N/A')
