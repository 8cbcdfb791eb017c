#!/usr/bin/env bash
# Prints every gtest case that skipped in the last ctest run, with its reason, and their count.
# ctest counts a test binary, not its cases: a binary with some cases skipped still reads "Passed".
#   usage: scripts/skip_summary.sh [build-dir]
set -euo pipefail
LOG="${1:-build}/Testing/Temporary/LastTest.log"
[ -f "$LOG" ] || { echo "skip summary: no $LOG (ctest has not run)"; exit 0; }
# gtest prints "<file>:<line>: Skipped", the reason on the following line(s), then "[  SKIPPED ] Suite.Case (N ms)".
awk '
  /: Skipped$/ { want = 1; reason = ""; next }
  want && /^\[  SKIPPED \] [^ ]+ \(/ { sub(/^\[  SKIPPED \] /, ""); sub(/ \([0-9]+ ms\)$/, "");
                                       printf "  skipped %s: %s\n", $0, reason; n++; want = 0; next }
  want && NF && reason == "" { reason = $0 }
  END { printf "skip summary: %d gtest case(s) skipped\n", n }
' "$LOG"
