-- An endless recursive query that keeps one row at a time: CPU, no memory.
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)
SELECT count(*) FROM c;
