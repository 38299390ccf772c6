# The two commands a newcomer needs (see README.md):
#
#   make run    install missing dependencies, build, run the example model
#   make test   install missing dependencies, build, run every test
#
# and a few more for developers:
#
#   make build       configure and build (build/)
#   make test-asan   every test under AddressSanitizer + UBSan (build-asan/)
#   make fuzz        build the libFuzzer targets with clang and run each for
#                    FUZZ_SECONDS seconds with libFuzzer seed FUZZ_SEED
#                    (default 1, repeatable; 0 picks a random one) (build-fuzz/)
#   make format      clang-format every C source in place
#   make clean       remove the build directories
#
# Everything is driven through CMake; this file only names the steps.

BUILD       ?= build
BUILD_TYPE  ?= Release
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 30
FUZZ_SEED   ?= 1
# Decided when a recipe runs, after deps may have installed ninja.
GENERATOR    = $$(command -v ninja >/dev/null 2>&1 && echo Ninja || echo "Unix Makefiles")
CTEST_FLAGS ?= --output-on-failure -j $(JOBS)

.PHONY: all deps build run test test-asan fuzz format clean

all: build

deps:
	@scripts/deps.sh

# Configure once per build directory; later builds just rebuild.
$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@scripts/run-example.sh $(BUILD)

test: build
	cd $(BUILD) && ctest $(CTEST_FLAGS)

test-asan: deps
	$(MAKE) --no-print-directory test BUILD=build-asan BUILD_TYPE=Asan

fuzz: deps
	cmake -S . -B build-fuzz -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=Asan \
	    -DCMAKE_C_COMPILER=clang -DACCC_FUZZ=ON -DACCC_FUZZ_SECONDS=$(FUZZ_SECONDS) -DACCC_FUZZ_SEED=$(FUZZ_SEED)
	cmake --build build-fuzz -j $(JOBS)
	cd build-fuzz && ctest --output-on-failure -L fuzz

format:
	find . -path ./build -prune -o -path './build-*' -prune -o \( -name '*.c' -o -name '*.h' \) \
	    -print | xargs clang-format -i

clean:
	rm -rf build build-asan build-fuzz
