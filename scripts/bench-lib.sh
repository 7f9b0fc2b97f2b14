# Shell functions shared by the benchmark scripts (scripts/bench-dns,
# scripts/bench-xfr). Sourced, not run:
#   source "$root/scripts/bench-lib.sh"

# spt_start NS LIMIT LOG SPT-ARGS...: starts `solo5-spt SPT-ARGS` in the
# network namespace NS, bounded by `timeout LIMIT`, its output in LOG, and
# sets spt_pid (the pid of `timeout`, which passes a TERM on). A tap is free
# again only a moment after the last tender on it exited: while the tender
# cannot attach its tap, it is started again (for at most 10 s).
spt_start() {
  local ns="$1" limit="$2" log="$3" i
  shift 3
  for ((i = 0; i < 50; i++)); do
    ip netns exec "$ns" timeout "$limit" solo5-spt "$@" >"$log" 2>&1 &
    spt_pid=$!
    sleep 0.2
    grep -q "Could not attach interface" "$log" || return 0
    wait "$spt_pid" 2>/dev/null || true
  done
}

# smallest_mem LOW HIGH STEP TRY...: bisects for the smallest --mem (MiB)
# with which `TRY... MIB` succeeds, to within STEP MiB, given that it fails
# at LOW and succeeds at HIGH. Prints "SMALLEST LARGEST-FAILING".
smallest_mem() {
  local low="$1" high="$2" step="$3" mid
  shift 3
  while ((high - low > step)); do
    mid=$(((low + high) / 2))
    if "$@" "$mid"; then high=$mid; else low=$mid; fi
  done
  echo "$high $low"
}
