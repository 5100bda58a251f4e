#!/usr/bin/env bash
# The long mode of the fuzz harness (tests/Dyno.Cli.Tests/Fuzz/FuzzHarness.cs): many more mutated inputs
# per reader than CI runs. Usage: bench/fuzz.sh [ITERATIONS_PER_READER] [SEED]   (default 20000, 15)
set -euo pipefail
cd "$(dirname "$0")/.."
export DYNO_FUZZ_ITERATIONS="${1:-20000}"
export DYNO_FUZZ_SEED="${2:-15}"
uptime
dotnet build tests/Dyno.Cli.Tests -c Release -v q --nologo
dotnet test tests/Dyno.Cli.Tests -c Release --no-build --filter "FullyQualifiedName~Fuzz.FuzzTests" \
  --logger "console;verbosity=detailed" 2>&1 | grep -E "^\s*fuzz |^\s{3}[a-z-]+ #|Passed!|Failed!"
