#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan + UBSan) and runs each
# for a short, bounded time: a smoke run for `make check`, a longer one by
# hand with FUZZ_SECONDS=600.  Crashes found are saved under the build dir;
# add them to tests/fuzz/regress/ as regression inputs.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD:-$src/build-fuzz}
seconds=${FUZZ_SECONDS:-20}
command -v clang >/dev/null || { echo "fuzz: clang is missing (apt-get install clang)"; exit 1; }
CC=clang cmake -S "$src" -B "$build" -DCLASP_FUZZ=ON -DBUILD_TESTING=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS="-fsanitize=address,undefined -fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined" >/dev/null
fuzzers=$(cd "$src/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
cmake --build "$build" -j2 --target $fuzzers >/dev/null
passed=0; failed=0
for f in $fuzzers; do
  corpus="$build/corpus-$f"; mkdir -p "$corpus"
  regress="$src/tests/fuzz/regress/$f"
  if [ -d "$regress" ] && ! "$build/bin/$f" "$regress"/* >/dev/null 2>&1; then
    echo "not ok - $f regression inputs"; failed=$((failed+1)); continue
  fi
  if "$build/bin/$f" -max_total_time="$seconds" -max_len=8192 -artifact_prefix="$build/$f-" \
       "$corpus" >"$build/$f.log" 2>&1; then
    echo "ok - $f ($(grep -o 'Done [0-9]* runs' "$build/$f.log" | head -1))"; passed=$((passed+1))
  else
    echo "not ok - $f (see $build/$f.log)"; failed=$((failed+1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
