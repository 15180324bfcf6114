-- A singular test: returns the rows that break the rule.
select * from {{ref "title_popularity"}} where hours_watched < 0
