#!/usr/bin/env bash
# The public API of the six Dyno libraries is declared in src/Dyno.X/PublicAPI.Shipped.txt (as released) and
# PublicAPI.Unshipped.txt (changes since); Microsoft.CodeAnalysis.PublicApiAnalyzers fails the build when code and
# files disagree (RS0016: a public symbol not listed; RS0017: a listed symbol that is gone).
#
#   tools/public-api.sh            rewrite the files from the code: new API into PublicAPI.Unshipped.txt, API that
#                                  is gone removed (or marked *REMOVED* when it had shipped) — run after an API
#                                  change or a merge, then review the diff of PublicAPI.Unshipped.txt
#   tools/public-api.sh --ship     the same, then move everything unshipped into PublicAPI.Shipped.txt (a release)
#   tools/public-api.sh --check    build the six libraries: fails while the files and the code disagree
#   PROJECTS="Core Runtime" tools/public-api.sh   only these libraries
#
# It uses the analyzers' own code fixes through 'dotnet format analyzers' (no other tool needed).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-update}
projects=(${PROJECTS:-Core Metrics Models Results Runtime Reports})

if [[ $mode == --check ]]; then
  for p in "${projects[@]}"; do dotnet build "src/Dyno.$p/Dyno.$p.csproj" -c Release -v q -nologo; done
  exit 0
fi
[[ $mode == update || $mode == --ship ]] || { echo "usage: $0 [--ship|--check]" >&2; exit 2; }

for p in "${projects[@]}"; do
  dir="src/Dyno.$p"
  for f in Shipped Unshipped; do
    [[ -f $dir/PublicAPI.$f.txt ]] || printf '#nullable enable\n' > "$dir/PublicAPI.$f.txt"
  done
  echo "public-api: $dir" >&2
  # twice: a symbol the first pass adds can reveal another (e.g. a type and then its members)
  dotnet format analyzers "$dir/Dyno.$p.csproj" --diagnostics RS0016 RS0017 --severity warn >/dev/null 2>&1 || true
  dotnet format analyzers "$dir/Dyno.$p.csproj" --diagnostics RS0016 RS0017 --severity warn --no-restore >/dev/null 2>&1 || true
  if [[ $mode == --ship ]]; then
    shipped="$dir/PublicAPI.Shipped.txt" unshipped="$dir/PublicAPI.Unshipped.txt"
    removed=$(grep '^\*REMOVED\*' "$unshipped" | sed 's/^\*REMOVED\*//' || true)
    {
      echo '#nullable enable'
      { grep -v '^#nullable' "$shipped" || true; grep -v '^#nullable\|^\*REMOVED\*' "$unshipped" || true; } \
        | grep -v '^$' | grep -vxF -f <(printf '%s\n' "$removed") | LC_ALL=C sort -u
    } > "$shipped.new"
    mv "$shipped.new" "$shipped"
    printf '#nullable enable\n' > "$unshipped"
  fi
done
