#!/usr/bin/env bash
# parley_memory_limit_bytes and parley_ram_quarter_mb (scripts/lib/common.sh) against
# fake cgroup trees: v2, v1, no limit, unreadable. Exit 0 when every case passes.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/lib/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
expect() { # expect <what> <got> <wanted>
  if [[ $2 == "$3" ]]; then
    echo "ok: $1"
  else
    echo "FAILED: $1: got '$2', wanted '$3'"
    failures=$((failures + 1))
  fi
}

# cgroup v2: the "0::" line names the group; memory.max is a number or "max".
mkdir -p "$tmp/v2/sys/box"
printf '0::/box\n' >"$tmp/v2/cgroup"
printf '1073741824\n' >"$tmp/v2/sys/box/memory.max"
expect "v2 limit" "$(parley_memory_limit_bytes "$tmp/v2/cgroup" "$tmp/v2/sys")" 1073741824
printf 'max\n' >"$tmp/v2/sys/box/memory.max"
expect "v2 without a limit" "$(parley_memory_limit_bytes "$tmp/v2/cgroup" "$tmp/v2/sys")" ""

# cgroup v1: the memory controller's line names the group under memory/.
mkdir -p "$tmp/v1/sys/memory/job/7"
printf '5:cpu,cpuacct:/\n4:memory:/job/7\n0::/\n' >"$tmp/v1/cgroup"
printf '536870912\n' >"$tmp/v1/sys/memory/job/7/memory.limit_in_bytes"
expect "v1 limit" "$(parley_memory_limit_bytes "$tmp/v1/cgroup" "$tmp/v1/sys")" 536870912

# Nothing readable: no limit, and no error (the callers run with set -e).
expect "no cgroup files" "$(parley_memory_limit_bytes "$tmp/none" "$tmp/none")" ""

# The quarter of RAM is never more than a quarter of a lower limit, never more than a
# quarter of MemTotal.
ram_quarter=$(awk '/^MemTotal:/ {print int($2 / 1024 / 4)}' /proc/meminfo)
# shellcheck disable=SC2317 # the stand-ins are called by parley_ram_quarter_mb
parley_memory_limit_bytes() { printf '1073741824\n'; }
expect "a quarter of a 1 GiB limit" "$(parley_ram_quarter_mb)" 256
parley_memory_limit_bytes() { printf '%s\n' 9223372036854771712; } # v1's "unlimited"
expect "a quarter of RAM under a huge limit" "$(parley_ram_quarter_mb)" "$ram_quarter"
parley_memory_limit_bytes() { return 0; }
expect "a quarter of RAM without a limit" "$(parley_ram_quarter_mb)" "$ram_quarter"

((failures == 0))
