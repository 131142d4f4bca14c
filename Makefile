# Cairn. `make run` serves the demo estate on an embedded SQLite file;
# `make test` runs every test (PostgreSQL and lab tests too when enabled:
# see README).
GO       ?= go
BIN      ?= bin/cairn
DB       ?= ./cairn-demo.db
ADDR     ?= :8080
TESTFLAGS ?=
BENCHTIME ?= 1x

export GOFLAGS := -buildvcs=false

.PHONY: all generate build run test bench lint fmt clean lab

all: build

# ent, then gqlgen (internal/codegen/gqlgen), then genqlient (the typed
# client in internal/client): see generate.go. The output is committed.
generate:
	$(GO) generate ./...

build:
	$(GO) build -o $(BIN) ./cmd/cairn

# Serve the demo estate with anonymous read on an embedded SQLite file.
run: build
	@if [ ! -f $(DB) ]; then ./$(BIN) seed --demo --db $(DB); fi
	./$(BIN) serve --db $(DB) --addr $(ADDR) --allow-anonymous-read

# Includes the README's examples against a demo server (cmd/cairn,
# TestReadmeExamples) and the import rules (internal/archtest).
test:
	$(GO) test -count=1 -timeout 14m $(TESTFLAGS) ./...

# Start the discovery lab (sshd, snmpd, node_exporter on 127.0.0.2-4) until
# Ctrl-C; the packages: apt-get install openssh-server snmpd snmp nmap
# prometheus-node-exporter.
lab:
	$(GO) run ./cmd/cairnlab

# Benchmarks: figures go to BENCHMARKS.md.
bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -timeout 60m ./...

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

clean:
	rm -rf bin $(DB) $(DB)-wal $(DB)-shm
