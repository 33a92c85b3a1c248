#!/usr/bin/env bash
# scripts/bench refuses bad arguments before it installs, builds or starts anything:
# each case must exit 1 with its own message and leave its --out folder uncreated.
# --help must print the usage and exit 0. Exit 0 when every case passes.
set -euo pipefail
bench="$(dirname -- "${BASH_SOURCE[0]}")/../../scripts/bench"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 cases=0
fail() {
  echo "FAILED: $*"
  failures=$((failures + 1))
}
refused() { # refused <wanted message> <argument>...
  local wanted=$1 status=0 out=$tmp/out$((++cases))
  shift
  bash "$bench" --no-build --out="$out" "$@" >"$tmp/stdout" 2>"$tmp/stderr" || status=$?
  if ((status != 1)); then
    fail "$*: exit status $status, wanted 1"
  elif ! grep -qF -- "$wanted" "$tmp/stderr"; then
    fail "$*: stderr lacks '$wanted': $(cat "$tmp/stderr")"
  elif [[ -e $out ]]; then
    fail "$*: created its --out folder"
  else
    echo "ok: $* refused"
  fi
}

refused "--repeat must be a positive number" --repeat=0
refused "--repeat must be a positive number" --repeat=x
refused "--repeat must be a positive number" --repeat=
refused "--target must be both, parley or nchan" --target=apache
refused "unknown scenario 'chat-2k'" --scenario=chat-2k
refused "unknown scenario 'idle-19k'" --smoke --scenario=idle-19k
refused "unknown argument '--fast'" --fast

status=0
bash "$bench" --help >"$tmp/stdout" 2>&1 || status=$?
if ((status != 0)); then
  fail "--help: exit status $status"
elif ! grep -q -- '--repeat' "$tmp/stdout"; then
  fail "--help: no usage printed: $(cat "$tmp/stdout")"
else
  echo "ok: --help"
fi

((failures == 0)) || {
  echo "$failures case(s) failed"
  exit 1
}
echo "all cases passed"
