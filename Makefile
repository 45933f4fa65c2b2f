# The two commands of the README. Both are idempotent: they install what is missing and build in release.
SWIFT ?= swift
RAD = .build/release/rad

.PHONY: demo test setup assets build bench fuzz

setup:
	@scripts/setup.sh

assets: setup
	@scripts/fetch-assets.sh

build: setup
	$(SWIFT) build -c release

# The main job: a real conversion of the real teacher on a small budget (pipelines/quickstart.yaml).
demo: assets build
	$(RAD) run pipelines/quickstart.yaml

# The test suite, in release (numeric tests need it). `swift test` builds everything it needs, the
# `rad` binary for the CLI tests included; a separate `swift build` first would compile it all twice.
# The bounded fuzz runs go first so that the test runner's summary is the last line of the output.
test: assets setup
	@$(MAKE) --no-print-directory fuzz
	$(SWIFT) test -c release

# Bounded libFuzzer runs on the readers of untrusted input (Fuzz/README.md), FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
fuzz: setup
	@SWIFT="$(SWIFT)" scripts/fuzz.sh $(FUZZ_SECONDS)

bench: build
	$(RAD) bench
