#!/usr/bin/env bash
# Cleanup fixture of redis_store_tests: kills the redis-server processes a crashed test run left behind and removes
# their directories. Each file in <pid dir> stands for one server directory and holds "<pid, 0 if stopped> <dir>";
# the test removes it with the directory when it exits normally, so usually there is nothing to do.
set -u
pid_dir=${1:?usage: redis_cleanup.sh <pid dir>}
[ -d "$pid_dir" ] || exit 0
for file in "$pid_dir"/*; do
  [ -f "$file" ] || continue
  read -r pid dir <"$file" || true
  # Only a redis-server: the pid may have been reused since.
  comm=""
  if [ "${pid:-0}" != 0 ]; then
    comm=$(cat "/proc/$pid/comm" 2>/dev/null || ps -o comm= -p "$pid" 2>/dev/null || true)
  fi
  if [ "$comm" = "redis-server" ]; then
    echo "redis_cleanup: killing leftover redis-server $pid"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  case "${dir:-}" in
    */../* | */..) ;;
    /tmp/qw-redis-*) rm -rf -- "$dir" ;;
  esac
  rm -f -- "$file"
done
exit 0
