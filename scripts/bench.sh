#!/bin/sh
# scripts/bench.sh — Clasp against the system libssl, on the same libcrypto (issue 5).
#
#   scripts/bench.sh            build clasp-bench (Clasp) and clasp-bench-openssl (system
#                               libssl) from tools/bench/clasp-bench.c, run them
#                               interleaved (A B A B ...), print medians and ratios
#   scripts/bench.sh --instr    instructions per handshake under callgrind (repeatable on a
#                               shared machine): Clasp, OpenSSL and the floor, plus profiles
#
# Environment:
#   BENCH_QUICK=1        smoke run: one round, 0.05 s per measurement (a few seconds)
#   BENCH_ROUNDS=5       rounds; each round runs both binaries once
#   BENCH_TIME=1         CPU seconds per row and binary in a round (handshakes are
#                        repeated until this much CPU is used; floor: half of it)
#   BENCH_ROWS=a,b       only these rows (clasp-bench --list names them); with --instr,
#                        the first of them instead of tls13-ecdsa-aes128-x25519
#   BENCH_BUILD_DIR      build tree (default build-bench); BENCH_NO_BUILD=1 uses it as is
#   BENCH_SOURCE_DIR     source tree to build (default: this checkout), e.g. a
#                        `git archive` snapshot of a commit to measure; BENCH_SOURCE_REV
#                        names it in the report (default: git rev-parse of the tree)
#   BENCH_OUT            results directory (default $BENCH_BUILD_DIR/bench-results)
#   BENCH_PNG=file.png   also draw the chart (needs gnuplot; Debian: gnuplot-nox)
#   BENCH_INSTR_N=20     handshakes per callgrind run (--instr)
#   JOBS=2               build parallelism
#
# The figures are CPU time (CLOCK_THREAD_CPUTIME_ID) of one thread running both sides
# over a BIO pair; read the ratios, the machine may be shared. Timing never fails the
# script: it exits non-zero only when a binary cannot be built or run.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=${BENCH_SOURCE_DIR:-$ROOT}
BUILD=${BENCH_BUILD_DIR:-$ROOT/build-bench}
OUT=${BENCH_OUT:-$BUILD/bench-results}
JOBS=${JOBS:-2}
MODE=time
case "${1:-}" in
--instr) MODE=instr ;;
"") ;;
*) echo "usage: scripts/bench.sh [--instr]" >&2; exit 2 ;;
esac

if [ "${BENCH_QUICK:-0}" = 1 ]; then
    ROUNDS=${BENCH_ROUNDS:-1}
    TIME=${BENCH_TIME:-0.05}
    INSTR_N=${BENCH_INSTR_N:-3}
else
    ROUNDS=${BENCH_ROUNDS:-5}
    TIME=${BENCH_TIME:-1}
    INSTR_N=${BENCH_INSTR_N:-20}
fi

CLASP_BIN=$BUILD/bin/clasp-bench
OPENSSL_BIN=$BUILD/bin/clasp-bench-openssl

build() {
    [ "${BENCH_NO_BUILD:-0}" = 1 ] && return 0
    echo "bench: building $SRC in $BUILD" >&2
    cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCLASP_SANITIZE=OFF \
        -DCLASP_API_IMPL=clasp >"$OUT/build.log" 2>&1 &&
        cmake --build "$BUILD" -j"$JOBS" --target clasp-bench clasp-bench-openssl \
            >>"$OUT/build.log" 2>&1 || {
        tail -n 30 "$OUT/build.log" >&2
        echo "bench: build failed (log: $OUT/build.log)" >&2
        exit 1
    }
}

revision() {
    if [ -n "${BENCH_SOURCE_REV:-}" ]; then
        echo "$BENCH_SOURCE_REV"
    elif rev=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null); then
        dirty=$(git -C "$SRC" status --porcelain --untracked-files=no 2>/dev/null | head -n 1)
        echo "$rev${dirty:+ + uncommitted changes}"
    else
        echo "unknown"
    fi
}

machine() {
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    echo "Machine: $(nproc) CPUs, ${cpu:-unknown CPU}; $(openssl version 2>/dev/null || echo 'openssl CLI missing'); $(uname -sr)."
    echo "Clasp source: $(revision)."
    echo
}

run_one() { # binary round-file
    if ! "$1" --time "$TIME" --floor-detail ${BENCH_ROWS:+--rows "$BENCH_ROWS"} >"$2"; then
        echo "bench: $1 failed (output: $2)" >&2
        exit 1
    fi
}

run_time() {
    rm -f "$OUT"/clasp.*.txt "$OUT"/openssl.*.txt "$OUT"/*.dat
    r=1
    while [ "$r" -le "$ROUNDS" ]; do
        echo "bench: round $r/$ROUNDS: Clasp" >&2
        run_one "$CLASP_BIN" "$OUT/clasp.$r.txt"
        echo "bench: round $r/$ROUNDS: OpenSSL" >&2
        run_one "$OPENSSL_BIN" "$OUT/openssl.$r.txt"
        r=$((r + 1))
    done
    {
        machine
        echo "Command: BENCH_ROUNDS=$ROUNDS BENCH_TIME=$TIME scripts/bench.sh"
        echo
        awk -v datadir="$OUT" -f "$ROOT/tools/bench/report.awk" "$OUT"/clasp.*.txt "$OUT"/openssl.*.txt
    } >"$OUT/table.md"
    cat "$OUT/table.md"
    if [ -n "${BENCH_PNG:-}" ]; then
        if command -v gnuplot >/dev/null 2>&1; then
            gnuplot -e "datadir='$OUT'; out='$BENCH_PNG'" "$ROOT/tools/bench/plot.gp"
            echo "bench: chart written to $BENCH_PNG" >&2
        else
            echo "bench: gnuplot not found, no chart (apt-get install gnuplot-nox)" >&2
        fi
    fi
}

# Instructions collected inside one function (the rest of the run is setup), per handshake.
callgrind_one() { # name binary what function
    valgrind --tool=callgrind --toggle-collect="$4" --callgrind-out-file="$OUT/callgrind.$1.out" \
        "$2" --instr "$3" "$INSTR_N" ${BENCH_ROWS:+--rows "$BENCH_ROWS"} >"$OUT/instr.$1.txt" 2>"$OUT/valgrind.$1.log" || {
        tail -n 20 "$OUT/valgrind.$1.log" >&2
        echo "bench: callgrind run '$1' failed" >&2
        exit 1
    }
    if ! grep -q "	ok$" "$OUT/instr.$1.txt"; then
        echo "bench: '$1': $(cat "$OUT/instr.$1.txt")" >&2
        exit 1
    fi
    sed -n 's/^summary: //p' "$OUT/callgrind.$1.out"
}

# Calls per handshake (locks, allocations, fetches): two whole runs, N and 2N
# handshakes, differenced (tools/bench/calls.awk says why not --toggle-collect).
CALL_FNS="CRYPTO_THREAD_read_lock CRYPTO_THREAD_write_lock CRYPTO_malloc CRYPTO_realloc EVP_MD_fetch EVP_CIPHER_fetch EVP_MAC_fetch EVP_KDF_fetch d2i_X509 X509_verify_cert"
calls_one() { # name binary what
    for k in 1 2; do
        valgrind --tool=callgrind --callgrind-out-file="$OUT/calls.$1.$k.out" \
            "$2" --instr "$3" $((INSTR_N * k)) ${BENCH_ROWS:+--rows "$BENCH_ROWS"} >/dev/null 2>>"$OUT/valgrind.$1.log" || {
            echo "bench: callgrind run '$1' ($k) failed" >&2
            exit 1
        }
    done
    awk -v n="$INSTR_N" -v fns="$CALL_FNS" -f "$ROOT/tools/bench/calls.awk" \
        "$OUT/calls.$1.1.out" "$OUT/calls.$1.2.out" | sed "s/^/$1\t/"
}

run_instr() {
    command -v valgrind >/dev/null 2>&1 || { echo "bench: valgrind not found" >&2; exit 1; }
    INSTR_ROW=${BENCH_ROWS:-tls13-ecdsa-aes128-x25519}
    INSTR_ROW=${INSTR_ROW%%,*}
    echo "bench: callgrind, $INSTR_N handshakes each ($INSTR_ROW)" >&2
    c=$(callgrind_one clasp "$CLASP_BIN" handshakes clasp_bench_instr_handshakes)
    o=$(callgrind_one openssl "$OPENSSL_BIN" handshakes clasp_bench_instr_handshakes)
    f=$(callgrind_one floor "$OPENSSL_BIN" floor clasp_bench_instr_floor)
    {
        calls_one clasp "$CLASP_BIN" handshakes
        calls_one openssl "$OPENSSL_BIN" handshakes
        calls_one floor "$OPENSSL_BIN" floor
    } >"$OUT/calls.tsv"
    for n in clasp openssl floor; do
        callgrind_annotate --inclusive=no "$OUT/callgrind.$n.out" >"$OUT/profile.$n.self.txt" 2>/dev/null || true
        callgrind_annotate --inclusive=yes "$OUT/callgrind.$n.out" >"$OUT/profile.$n.inclusive.txt" 2>/dev/null || true
        callgrind_annotate --inclusive=no --threshold=100 "$OUT/callgrind.$n.out" 2>/dev/null |
            awk -v run="$n" '/%\)/ && !/PROGRAM TOTALS/ {
                v = $1; gsub(",", "", v); obj = $NF
                if (obj !~ /^\[/) obj = ($0 ~ /  \.\/(nptl|malloc|string|stdlib)\//) ? "libc" : "(unknown)"
                sub(/^\[.*\//, "", obj); sub(/^\[/, "", obj); sub(/\]$/, "", obj)
                sub(/\.so[.0-9]*$/, "", obj)
                if (obj ~ /^clasp-bench/) obj = "benchmark (allocator hook, loop)"
                print run "\t" obj "\t" v
            }' >"$OUT/objects.$n.tsv" || true
    done
    {
        machine
        echo "Command: BENCH_INSTR_N=$INSTR_N scripts/bench.sh --instr"
        echo
        awk -v c="$c" -v o="$o" -v f="$f" -v n="$INSTR_N" -v row="$INSTR_ROW" 'BEGIN {
            printf "### Instructions per handshake (callgrind, %d handshakes, %s, both sides)\n\n", n, row
            print "| | instructions | / floor | / OpenSSL |"
            print "|---|---:|---:|---:|"
            printf "| Clasp | %.0f | %.2f | %.2f |\n", c / n, c / f, c / o
            printf "| OpenSSL libssl | %.0f | %.2f | 1.00 |\n", o / n, o / f
            printf "| floor (libcrypto only) | %.0f | 1.00 | %.2f |\n", f / n, f / o
        }'
        echo
        echo "### Self instructions per handshake, by shared object"
        echo
        cat "$OUT"/objects.clasp.tsv "$OUT"/objects.openssl.tsv "$OUT"/objects.floor.tsv |
            awk -F '\t' -v n="$INSTR_N" '{ s[$2, $1] += $3; o[$2] = 1 }
            END {
                print "| object | Clasp run | OpenSSL run | floor run |"
                print "|---|---:|---:|---:|"
                for (k in o) printf "| %s | %.0f | %.0f | %.0f |\n", k, s[k, "clasp"] / n, s[k, "openssl"] / n, s[k, "floor"] / n
            }' | { read -r h1; read -r h2; echo "$h1"; echo "$h2"; sort -t '|' -k3 -rn; }
        echo
        echo "### Calls per handshake (runs of $INSTR_N and $((INSTR_N * 2)) handshakes, differenced)"
        echo
        awk -F '\t' '{ v[$2, $1] = $3; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
            END {
                print "| function | Clasp run | OpenSSL run | floor run |"
                print "|---|---:|---:|---:|"
                for (i = 1; i <= n; i++) printf "| %s | %s | %s | %s |\n", order[i], v[order[i], "clasp"], v[order[i], "openssl"], v[order[i], "floor"]
            }' "$OUT/calls.tsv"
        echo
        echo "Profiles (callgrind_annotate, self and inclusive): $OUT/profile.{clasp,openssl,floor}.{self,inclusive}.txt"
    } >"$OUT/instr.md"
    cat "$OUT/instr.md"
}

mkdir -p "$OUT"
build
if [ "$MODE" = instr ]; then
    run_instr
else
    run_time
fi
