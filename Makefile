# The two commands of the README. Both are idempotent: they install what is missing and build in release.
SWIFT ?= swift
RAD = .build/release/rad

.PHONY: demo test setup assets build bench

setup:
	@scripts/setup.sh

assets: setup
	@scripts/fetch-assets.sh teacher vocab

build: setup
	$(SWIFT) build -c release

# The main job: a real conversion of the real teacher on a small budget.
demo: assets build
	$(RAD) bench

# The test suite (numeric tests need a release build).
test: assets build
	$(SWIFT) test -c release

bench: build
	$(RAD) bench
