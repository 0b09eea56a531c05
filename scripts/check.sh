#!/usr/bin/env bash
# check.sh — what `make check` runs.
#
#   scripts/check.sh              dependencies, Release build + ctest in build/,
#                                 ASan/UBSan Debug build + ctest in build-asan/
#   scripts/check.sh --fast       the Release part only
#   scripts/check.sh --reference  tools linked against the system libssl
#                                 (build-reference/), interop tests only: checks
#                                 the test scripts themselves
#   scripts/check.sh --deps       only install / report missing packages
#
# Ends with one line "N passed, M failed" over every ctest run (a build that
# fails counts as one failure) and exits non-zero if anything failed.
set -uo pipefail

cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
PACKAGES="cmake gcc clang libssl-dev libcmocka-dev gnutls-bin openssl valgrind"

TOTAL_PASSED=0
TOTAL_FAILED=0

say() { printf '\n=== %s\n' "$*"; }

# deps: on Debian, install what is missing when root, else name it and stop.
deps() {
    local missing=() p
    if ! command -v dpkg >/dev/null 2>&1; then
        echo "check.sh: not a Debian system; assuming $PACKAGES are installed"
        return 0
    fi
    for p in $PACKAGES; do
        if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
            missing+=("$p")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "check.sh: missing packages: ${missing[*]}" >&2
        echo "check.sh: install them with: sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    say "installing ${missing[*]}"
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" || {
        echo "check.sh: apt-get install failed" >&2
        exit 1
    }
}

# build DIR CMAKE_ARGS... [-- TARGETS...]: configure and build. Returns 0/1.
build() {
    local dir=$1 targets=()
    local -a args=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        args+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    for t in "$@"; do
        targets+=(--target "$t")
    done
    say "configure and build $dir"
    cmake -S . -B "$dir" "${args[@]}" && cmake --build "$dir" -j"$JOBS" "${targets[@]}"
}

# count_ctest LOG: adds ctest's "X% tests passed, F tests failed out of N" to the totals.
count_ctest() {
    local line failed total
    line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -1)
    if [ -z "$line" ]; then
        if grep -q 'No tests were found' "$1"; then
            return 0
        fi
        echo "check.sh: no ctest summary in $1" >&2
        TOTAL_FAILED=$((TOTAL_FAILED + 1))
        return
    fi
    failed=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
    TOTAL_PASSED=$((TOTAL_PASSED + total - failed))
    TOTAL_FAILED=$((TOTAL_FAILED + failed))
}

# run_ctest DIR [CTEST_ARGS...]
run_ctest() {
    local dir=$1 log
    shift
    log=$dir/check-ctest.log
    say "ctest in $dir"
    (cd "$dir" && ctest --output-on-failure -j"$JOBS" --timeout 600 "$@") 2>&1 | tee "$log"
    count_ctest "$log"
}

# stage DIR CMAKE_ARGS... [-- TARGETS...] [== CTEST_ARGS...]: build, then test.
stage() {
    local dir=$1
    local -a bargs=() cargs=()
    shift
    while [ $# -gt 0 ] && [ "$1" != == ]; do
        bargs+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    cargs=("$@")
    if build "$dir" "${bargs[@]}"; then
        run_ctest "$dir" "${cargs[@]}"
    else
        echo "check.sh: build in $dir failed" >&2
        TOTAL_FAILED=$((TOTAL_FAILED + 1))
    fi
}

# fuzz_smoke: every libFuzzer harness for a short bounded run (and its
# regression inputs); counts as one test per harness.
fuzz_smoke() {
    say "fuzz smoke run (tests/fuzz/run.sh, ${FUZZ_SECONDS:-15} s per harness)"
    local out
    out=$(FUZZ_SECONDS=${FUZZ_SECONDS:-15} tests/fuzz/run.sh 2>&1)
    echo "$out"
    local line
    line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
    if [ -z "$line" ]; then
        TOTAL_FAILED=$((TOTAL_FAILED + 1))
        return
    fi
    TOTAL_PASSED=$((TOTAL_PASSED + $(echo "$line" | cut -d' ' -f1)))
    TOTAL_FAILED=$((TOTAL_FAILED + $(echo "$line" | cut -d' ' -f3)))
}

mode=${1:-full}
case $mode in
    --deps)
        deps
        exit 0
        ;;
    --fast)
        deps
        stage build -DCMAKE_BUILD_TYPE=Release -DCLASP_API_IMPL=clasp -DCLASP_SANITIZE=OFF
        ;;
    --reference)
        deps
        stage build-reference -DCMAKE_BUILD_TYPE=Release -DCLASP_API_IMPL=openssl \
            -- clasp-client clasp-server == -R '^(fixture|interop)\.'
        ;;
    full)
        deps
        stage build -DCMAKE_BUILD_TYPE=Release -DCLASP_API_IMPL=clasp -DCLASP_SANITIZE=OFF
        stage build-asan -DCMAKE_BUILD_TYPE=Debug -DCLASP_API_IMPL=clasp -DCLASP_SANITIZE=ON
        fuzz_smoke
        ;;
    *)
        echo "usage: $0 [--fast|--reference|--deps]" >&2
        exit 2
        ;;
esac

echo
echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
[ "$TOTAL_FAILED" -eq 0 ]
