#!/usr/bin/env bash
# Smoke fuzzing, as CI runs it: build every target, then run each for
# ${FUZZ_SECONDS:-30} seconds on its seed corpus, one after the other (one
# core). Prints one line per target and exits non-zero if any target crashed,
# timed out or ran out of memory (the input is then under fuzz/artifacts/<target>/).
#
#   bash fuzz/smoke.sh                    # 30 s per target
#   FUZZ_SECONDS=5 bash fuzz/smoke.sh     # quicker
#   FUZZ_TARGETS="json loads" bash fuzz/smoke.sh
#
# Toolchain: `cargo +nightly fuzz` when a nightly toolchain is installed;
# otherwise the machine's stable toolchain with RUSTC_BOOTSTRAP=1 (cargo-fuzz
# passes -Z flags; stable ships the ASan runtime). cargo-fuzz itself is
# installed from crates.io if missing.
set -uo pipefail
cd "$(dirname "$0")"

seconds="${FUZZ_SECONDS:-30}"
all_targets="unsign timestamp_unsign loads json session_decode auth_hash_verify reset_token_check signed_cookie_get messages_decode round_trip key_loader http_cookies"
targets="${FUZZ_TARGETS:-$all_targets}"
start=$(date +%s)

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install --locked cargo-fuzz >/dev/null || { echo "cannot install cargo-fuzz" >&2; exit 2; }
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz() { cargo +nightly fuzz "$@"; }
  toolchain="nightly"
else
  fuzz() { RUSTC_BOOTSTRAP=1 cargo fuzz "$@"; }
  toolchain="stable with RUSTC_BOOTSTRAP=1"
fi
echo "toolchain: $toolchain ($(cargo fuzz --version))"

for t in $targets; do
  if [ -z "$(ls -A "corpus/$t" 2>/dev/null)" ]; then
    python3 seed_corpora.py >/dev/null || { echo "seed_corpora.py failed" >&2; exit 2; }
    break
  fi
done

mkdir -p logs
if ! fuzz build >logs/smoke-build.log 2>&1; then
  tail -40 logs/smoke-build.log >&2
  echo "FAIL: cargo fuzz build" >&2
  exit 1
fi

failed=0
printf '%-18s %12s %9s %7s %8s  %s\n' target executions exec/s corpus rss result
for t in $targets; do
  log="logs/smoke-$t.log"
  fuzz run "$t" "corpus/$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
  corpus=$(find "corpus/$t" -type f | wc -l)
  result="ok"
  if [ "$rc" -ne 0 ]; then
    failed=1
    result="FAIL (exit $rc): $(grep -m1 -E '^==[0-9]+== ERROR|panicked at|^SUMMARY' "$log" || echo "see fuzz/$log")"
  fi
  rate="-"
  [ -n "$execs" ] && rate=$(( execs / seconds ))
  printf '%-18s %12s %9s %7s %7sM  %s\n' "$t" "${execs:--}" "$rate" "$corpus" "${rss:--}" "$result"
done

echo "smoke fuzzing: ${seconds} s per target, $(( $(date +%s) - start )) s in all"
exit "$failed"
