-- 900 MB of random bytes: allocated and written in one go.
SELECT length(randomblob(900000000));
