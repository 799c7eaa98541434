#!/usr/bin/env bash
# Runs the benchmarks behind issue 23's targets in one session, side by side
# with their floors and peers, and prints BENCHMARKS.md's tables
# (internal/benchreport). About 15 minutes on the 2-core machine.
#
#   COUNT   runs of each benchmark (default 3; the tables show medians)
#   OUT     also keep the raw go test output in this file
#
# PostgreSQL figures need IKDKIT_TEST_POSTGRES_DSN (as .ci/postgres sets it);
# without it BenchmarkScale measures SQLite only.
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${COUNT:-3}
out=${OUT:-/dev/null}
{
  # SD-JWT VC + KB-JWT verify: ikdkit, go-sd-jwt + go-jose, the floor and
  # the RFC 9901 lower bound, interleaved by CPU time, 5/20/50/100 claims.
  (cd internal/peerbench && go test -run '^$' -bench 'Verify/claims=[0-9]+/(interleaved|ikdkit)$' \
    -benchtime 3000x -count "$count" -cpu 1 .)
  # The JS peers on the same bytes (SD-JWT VC and mdoc).
  (cd internal/peerbench && go test -run '^$' -bench 'JSPeers' -benchtime 200x -count "$count" -cpu 1 .)
  # mdoc DeviceResponse verify at 20 and 100 elements against its floor.
  go test -run '^$' -bench 'VerifyDeviceResponseElements/elements=[0-9]+/interleaved$' \
    -benchtime 2000x -count "$count" -cpu 1 ./credential/mdoc
  # Issuance through the issuer against the RFC 9901 lower bound, 1 and 2 cores.
  go test -run '^$' -bench 'IssueKTPEL' -benchtime 600x -count "$count" -cpu 1,2 ./issuer
} | tee "$out" | go run ./internal/benchreport
