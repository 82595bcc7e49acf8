# Sourced by the scripts that test a real `flash serve` (api-compat.sh,
# clients-compat.sh): start_serve starts one on a free loopback port with the
# flags given, in a temporary data directory ($data), stops it on exit, and
# sets $url. $who names the calling script in messages.
data=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    wait "$pid" || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT

start_serve() { # flags for flash serve...
  "$FLASH" serve --listen 127.0.0.1:0 --data-dir "$data/db" --log-level warn "$@" >"$data/out" 2>"$data/log" &
  pid=$!
  for _ in $(seq 1 300); do
    grep -q 'listening on' "$data/out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$data/log"; echo "$who: flash serve did not start" >&2; exit 1; }
    sleep 0.1
  done
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$data/out" | head -n1)
  [ -n "$url" ] || { echo "$who: no address from flash serve" >&2; exit 1; }
  echo "$who: flash serve on $url"
}

# Counts the server's logged errors as one more failure ($failed).
check_server_log() {
  if grep -E 'panicked|ERROR|memory allocation of|fatal runtime error' "$data/log" >/dev/null; then
    echo "$who: the server logged errors:" >&2
    grep -E 'panicked|ERROR|memory allocation of|fatal runtime error' "$data/log" | head -n 20 >&2
    failed=$((failed + 1))
  fi
}
