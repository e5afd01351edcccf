#!/usr/bin/env bash
# The whole test suite, as CI runs it: on a Debian 12 / Ubuntu machine, as root, it first installs what the tests use
# (Fashion-MNIST, Debian's PyTorch as the parity peer, Chromium and its driver, PostgreSQL, iproute2 and iptables for
# the multi-host bed, binutils); without root it says so, and the tests that need those are skipped with a reason.
# Then `dotnet test Runner.sln -c Release` (extra arguments are passed on), and one line that counts the skipped
# tests and says why, and the totals.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(dataset-fashion-mnist binutils chromium chromium-driver python3 python3-torch python3-torchvision python3-pytest python3-pandas iproute2 iptables postgresql)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${packages[@]}"
else
  echo "scripts/test.sh: not root (or no apt-get): not installing ${packages[*]}; tests that need them are skipped"
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Test assemblies and classes run side by side, with more training threads than a 2-core machine has: LibTorch's
# OpenMP threads then sleep when idle instead of spinning on cores other tests need (speed only, never results).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
dotnet test Runner.sln -c Release --logger trx --results-directory "$results" "$@" || status=$?
if command -v python3 >/dev/null; then python3 scripts/test_summary.py "$results"; fi
exit $status
