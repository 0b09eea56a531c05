# Clasp — convenience targets over CMake. The build itself is CMakeLists.txt.
#
#   make                  Release build in build/
#   make demo             build, then scripts/demo.sh (handshakes on 127.0.0.1)
#   make check            dependencies, Release + ASan/UBSan builds, all tests
#   make check-fast       Release build and its tests only
#   make check-reference  tools on the system libssl, interop tests only
#   make bench            Clasp vs the system libssl, interleaved runs (scripts/bench.sh;
#                         BENCH_QUICK=1 for a smoke run; docs/performance.md)
#   make bench-instr      instructions per handshake under callgrind
#   make clean            remove build/, build-asan/, build-reference/

JOBS ?= 2
BUILD_DIR ?= build

.PHONY: all build demo check check-fast check-reference deps clean bench bench-instr

all: build

build:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DCLASP_API_IMPL=clasp -DCLASP_SANITIZE=OFF
	cmake --build $(BUILD_DIR) -j$(JOBS)

demo: build
	CLASP_BIN=$(CURDIR)/$(BUILD_DIR)/bin scripts/demo.sh

check:
	JOBS=$(JOBS) scripts/check.sh

check-fast:
	JOBS=$(JOBS) scripts/check.sh --fast

check-reference:
	JOBS=$(JOBS) scripts/check.sh --reference

deps:
	scripts/check.sh --deps

bench:
	JOBS=$(JOBS) scripts/bench.sh

bench-instr:
	JOBS=$(JOBS) scripts/bench.sh --instr

clean:
	rm -rf build build-asan build-reference
