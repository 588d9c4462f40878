#!/bin/sh
# Reseal speed for N cases (default 10,000) next to the bare PKESK operations, same run.
# Usage: bench/reseal/run.sh [N]
set -eu
cd "$(dirname "$0")/../.."
exec cargo run --release --quiet --example reseal_bench -- "${1:-10000}"
