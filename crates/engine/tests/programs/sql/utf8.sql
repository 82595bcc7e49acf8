-- SQL reads no stdin: the UTF-8 data travels in the script instead, is stored
-- in a table and read back; length() counts characters, not bytes.
CREATE TABLE t (s TEXT);
INSERT INTO t VALUES ('héllo wörld ✓ 日本');
SELECT s, length(s) FROM t;
