#!/usr/bin/env bash
# Builds every fuzz target, seeds the corpora from testdata/ (seed.sh), and runs each target
# for SECONDS (default 20). Prints executions per second for each; exits non-zero if any
# target crashed, leaked, timed out or ran out of memory, after running the others.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Needs cargo-fuzz (`cargo install --locked cargo-fuzz@0.13.2`). Works on a stable toolchain:
# RUSTC_BOOTSTRAP=1 lets it take the nightly-only flags cargo-fuzz passes (-Zsanitizer=address,
# -Cpasses=sancov-module ...); the AddressSanitizer runtime ships with stable on x86_64 Linux.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-20}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "usage: fuzz/run.sh [SECONDS] [TARGET...]" >&2; exit 2; }
shift || true

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz not found: cargo install --locked cargo-fuzz@0.13.2" >&2
  exit 1
fi
export RUSTC_BOOTSTRAP=1

targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(cargo fuzz list)
fi

# Cargo.lock is committed: refuse to re-resolve dependencies silently (cargo fuzz has no
# --locked). After a crate gains a dependency: (cd fuzz && cargo metadata >/dev/null).
if ! cargo metadata --locked --format-version 1 >/dev/null; then
  echo "cargo metadata --locked failed (above); if fuzz/Cargo.lock is out of date, refresh it with" \
    "(cd fuzz && cargo metadata >/dev/null) and commit it" >&2
  exit 1
fi

./seed.sh

start=$SECONDS
echo "+ cargo fuzz build"
cargo fuzz build
echo "fuzz build: $((SECONDS - start)) s"

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed=()
summary=()
for target in "${targets[@]}"; do
  echo
  echo "==> $target: ${seconds} s"
  log=$logs/$target.log
  # -timeout: one input taking 10 s is a denial of service, reported like a crash.
  # -rss_limit_mb: libFuzzer's default, explicit. -print_final_stats: the exec/s below.
  dict=()
  [ -f "dict/$target.dict" ] && dict=(-dict="dict/$target.dict")
  if cargo fuzz run "$target" -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "${dict[@]}" >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$target")
    # The panic message or sanitizer/libFuzzer report, then where the input is and how to
    # reproduce and minimise it; the whole log if none of that is there (e.g. a build error).
    if grep -q -E "panicked at|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)" "$log"; then
      grep -E -A 2 "panicked at" "$log" | head -n 20 || true
      grep -E -A 12 "ERROR: (AddressSanitizer|LeakSanitizer)" "$log" | head -n 30 || true
      grep -E "ERROR: libFuzzer|SUMMARY: " "$log" || true
      # The input itself, base64, so that it survives a CI machine that is gone afterwards.
      for input in $(grep -o -E "Test unit written to \S+" "$log" | cut -d' ' -f5); do
        echo "input: $input ($(wc -c <"$input") bytes), base64 (base64 -d > crash to restore):"
        base64 -w 100 "$input" | head -n 200
      done
      grep -E "^\s*cargo fuzz (run|tmin) " "$log" | sort -u | sed 's/^\s*/  cd fuzz \&\& RUSTC_BOOTSTRAP=1 /' || true
    else
      cat "$log"
    fi
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || echo "?")
  corpus=$(find "corpus/$target" -type f | wc -l)
  line=$(printf '%-16s %-6s %8s exec/s %10s runs  cov %6s  corpus %5s' \
    "$target" "$status" "$rate" "$runs" "$cov" "$corpus")
  echo "$line"
  summary+=("$line")
done

echo
echo "==> fuzz summary (${seconds} s per target)"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]} (inputs in fuzz/artifacts/<target>/; see docs/fuzzing.md)" >&2
  exit 1
fi
