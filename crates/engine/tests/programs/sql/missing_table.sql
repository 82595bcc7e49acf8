SELECT 1;
SELECT * FROM missing_table;
SELECT 2;
