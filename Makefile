# Short names for what we run often. CI runs .ci/run, which calls the
# README's test command.
.PHONY: build test lint bench fuzz demo

build:
	CGO_ENABLED=0 go build -o bin/phasegate ./cmd/phasegate

test:
	go test -race ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...

bench:
	go run ./cmd/phasegate bench

# Run every fuzzer for a short while; the corpus lives in testdata/fuzz.
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$(go list ./...); do \
		for f in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; go test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

demo:
	go run ./cmd/phasegate serve --demo
