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
# It uses the analyzers' own fix for RS0016 through 'dotnet format analyzers' (no other tool needed): the whole current
# API into empty files, then the difference from PublicAPI.Shipped.txt is what PublicAPI.Unshipped.txt says.
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
  shipped="$dir/PublicAPI.Shipped.txt" unshipped="$dir/PublicAPI.Unshipped.txt"
  echo "public-api: $dir" >&2
  tmp=$(mktemp -d)
  # the shipped list as it stands (what was released), then the whole current API from the analyzers' own fix for
  # RS0016 into empty files (their fix for RS0017 acts on the .txt files, which 'dotnet format' does not fix)
  { [[ -f $shipped ]] && grep -v '^#nullable\|^$' "$shipped" || true; } | LC_ALL=C sort -u > "$tmp/shipped"
  printf '#nullable enable\n' > "$shipped"
  printf '#nullable enable\n' > "$unshipped"
  dotnet format analyzers "$dir/Dyno.$p.csproj" --diagnostics RS0016 --severity warn >/dev/null 2>&1 || true
  grep -v '^#nullable\|^$' "$unshipped" | LC_ALL=C sort -u > "$tmp/current" || true
  if [[ ! -s $tmp/current ]]; then
    echo "public-api: $dir: the analyzers listed nothing (does the project build? try: dotnet build $dir -c Release)" >&2
    { echo '#nullable enable'; cat "$tmp/shipped"; } > "$shipped"
    rm -rf "$tmp"; exit 1
  fi
  if [[ $mode == --ship ]]; then
    { echo '#nullable enable'; cat "$tmp/current"; } > "$shipped"
    printf '#nullable enable\n' > "$unshipped"
  else
    { echo '#nullable enable'; cat "$tmp/shipped"; } > "$shipped"
    {
      echo '#nullable enable'
      LC_ALL=C comm -13 "$tmp/shipped" "$tmp/current"                      # added since the release
      LC_ALL=C comm -23 "$tmp/shipped" "$tmp/current" | sed 's/^/*REMOVED*/'  # shipped, now gone or changed
    } > "$unshipped"
  fi
  rm -rf "$tmp"
done
