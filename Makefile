# diagkit: the two commands that matter are `make demo` and `make test`.
# Both install what is missing (tools/deps.sh, as root or through sudo),
# build, and then show or check everything. CMake does the real work.

JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
BUILD     ?= build
ASAN      ?= build-asan
WIN64     ?= build-win64
FUZZ      ?= build-fuzz
PREFIX    ?= /usr/local
CMAKE_GEN  = cmake -S . -DDK_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
CTEST      = ctest --output-on-failure -j $(JOBS)

.PHONY: all deps build crashers demo test test-linux test-asan test-win64 win64 fuzz fuzz-smoke bench install package clean

all: build

deps:
	@tools/deps.sh

build: deps
	@$(CMAKE_GEN) -B $(BUILD) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

crashers: deps
	@examples/crashers/build.sh linux

demo: build crashers
	@tools/demo.sh $(BUILD)/diagkit

test: build crashers
	@examples/crashers/build.sh win64
	@$(MAKE) --no-print-directory test-linux test-asan test-win64 fuzz-smoke
	@echo "make test: all suites passed"

test-linux:
	@$(CTEST) --test-dir $(BUILD)

test-asan:
	@$(CMAKE_GEN) -B $(ASAN) -DDK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(ASAN) -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 $(CTEST) --test-dir $(ASAN)

win64: deps
	@tools/win64-deps.sh $(WIN64)/deps
	@cmake -S . -B $(WIN64) -DDK_WERROR=ON -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/cmake/mingw-w64-x86_64.cmake \
	  -DDK_WIN64_DEPS=$(CURDIR)/$(WIN64)/deps >/dev/null
	@cmake --build $(WIN64) -j $(JOBS)

# Wine runs one prefix; parallel wineserver start-up is handled by tools/wine-run.sh.
test-win64: win64
	@$(CTEST) --test-dir $(WIN64)

fuzz: deps
	@CC=clang $(CMAKE_GEN) -B $(FUZZ) -DDK_FUZZ=ON -DDK_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(FUZZ) -j $(JOBS)
	@tools/fuzz.sh $(FUZZ) $${FUZZ_SECONDS:-300}

fuzz-smoke: deps
	@CC=clang $(CMAKE_GEN) -B $(FUZZ) -DDK_FUZZ=ON -DDK_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(FUZZ) -j $(JOBS)
	@tools/fuzz.sh $(FUZZ) 5

bench: build crashers
	@tools/deps.sh --bench
	@bench/run.sh $(BUILD)

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

# A .deb of the Linux build and a zip of the Windows one, in dist/.
package: build win64
	@mkdir -p dist
	@cd $(BUILD) && cpack -G DEB -B $(CURDIR)/dist >/dev/null
	@cd $(WIN64) && cpack -G ZIP -B $(CURDIR)/dist >/dev/null
	@rm -rf dist/_CPack_Packages
	@ls dist/*.deb dist/*.zip

clean:
	rm -rf $(BUILD) $(ASAN) $(WIN64) $(FUZZ) examples/crashers/build examples/crashers/build-win64
