#!/usr/bin/env bash
# Every C++ file of the project is formatted as .clang-format says (STYLE.md), checked
# with Debian 12's clang-format 14: other versions format some constructs differently.
# Usage: format_test.sh <clang-format binary>. Exit 0 when every file is clean.
set -euo pipefail
bin=${1:-clang-format-14}
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$root"
if ! command -v "$bin" >/dev/null; then
  echo "FAILED: $bin not found (scripts/test installs clang-format)"
  exit 1
fi
mapfile -t files < <(find main.cpp actors bench config net persistence tests \
  -path tests/browser/node_modules -prune -o \( -name '*.cpp' -o -name '*.hpp' \) -print | sort)
if ((${#files[@]} == 0)); then
  echo "FAILED: no C++ files found under $root"
  exit 1
fi
bad=()
for f in "${files[@]}"; do
  "$bin" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  echo "FAILED: not formatted (run: $bin -i ${bad[*]})"
  exit 1
fi
echo "ok: ${#files[@]} files formatted"
