#!/usr/bin/env bash
# ctest-timeout: 420
# The soak in short (scripts/soak.sh): two `finstream run` replicas on a simulated calendar whose
# day lasts 4 s, so the daily update runs about 30 times in 2 minutes. After a 50 s warm-up
# (backfill of a simulated year, group joins), each replica must open no new file descriptors or
# PostgreSQL connections, keep its RSS within max(20 %, 16 MiB) of its warm-up value, and drain its
# processors' lag; the daily run must advance the target. Samples are kept in
# $FINSTREAM_BUILD_DIR/test-artifacts/soak/.
set -euo pipefail
: "${FINSTREAM_BINARY:?}" "${FINSTREAM_SOURCE_DIR:?}" "${FINSTREAM_BUILD_DIR:?}"
: "${FINSTREAM_TEST_PG:?FINSTREAM_TEST_PG is not set: run through scripts/test.sh}"
: "${FINSTREAM_TEST_KAFKA:?FINSTREAM_TEST_KAFKA is not set: run through scripts/test.sh}"
out="$FINSTREAM_BUILD_DIR/test-artifacts/soak"
rm -rf "$out"
exec bash "$FINSTREAM_SOURCE_DIR/scripts/soak.sh" 2 --replicas 2 --symbols 40 --day-seconds 4 \
  --warmup 50 --interval 5 --check --out "$out"
