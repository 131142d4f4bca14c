# Cairn. `make run` serves the demo estate on an embedded SQLite file;
# `make test` runs every test (PostgreSQL and lab tests too when enabled:
# see README).
GO       ?= go
BIN      ?= bin/cairn
DB       ?= ./cairn-demo.db
ADDR     ?= :8080
TESTFLAGS ?=
BENCHTIME ?= 1x
BENCH    ?= .

export GOFLAGS := -buildvcs=false
# The Go release Cairn is built and tested with (go.mod says go 1.27.3): the
# go command fetches it from the Go module proxy on first use, whatever Go
# is installed.
export GOTOOLCHAIN := go1.27.3

# govulncheck and the vulnerability database it reads, built here from the
# golang.org/x/vulndb module (the database's own host is not reachable):
# vulndb's cmd/indexdb lays its data/osv files out as a v1 database.
VULN_VERSION   ?= v1.9.0
VULNDB_VERSION ?= v0.0.0-20261105234957-e22db6528018
VULNDB         ?= bin/vulndb-$(VULNDB_VERSION)

.PHONY: all generate build run test bench lint fmt clean lab vuln

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

# The console's npm packages (pinned by package-lock.json): the build
# (make generate) and the console tests' axe-core need them; make run does
# not (the built console is committed).
CONSOLE_DEPS := internal/console/node_modules/.package-lock.json
$(CONSOLE_DEPS): internal/console/package-lock.json
	cd internal/console && npm ci --no-audit --no-fund --loglevel=error

# Includes the README's examples against a demo server (cmd/cairn,
# TestReadmeExamples) and the import rules (internal/archtest).
test: $(CONSOLE_DEPS)
	$(GO) test -count=1 -timeout 14m $(TESTFLAGS) ./...

# Start the discovery lab (sshd, snmpd, node_exporter on 127.0.0.2-4) until
# Ctrl-C; the packages: apt-get install openssh-server snmpd snmp nmap
# prometheus-node-exporter.
lab:
	$(GO) run ./cmd/cairnlab

# Benchmarks: figures go to BENCHMARKS.md.
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) -timeout 60m ./...

# Reachable known vulnerabilities in Cairn and the standard library it is
# built with: none allowed (govulncheck exits non-zero on any).
vuln: $(VULNDB)/index/db.json
	$(GO) run golang.org/x/vuln/cmd/govulncheck@$(VULN_VERSION) -db file://$(abspath $(VULNDB)) ./...

$(VULNDB)/index/db.json:
	$(GO) mod download golang.org/x/vulndb@$(VULNDB_VERSION)
	rm -rf $(VULNDB).tmp
	$(GO) run golang.org/x/vulndb/cmd/indexdb@$(VULNDB_VERSION) \
		-vulns "$$($(GO) env GOMODCACHE)/golang.org/x/vulndb@$(VULNDB_VERSION)/data/osv" -out $(VULNDB).tmp
	rm -rf $(VULNDB) && mv $(VULNDB).tmp $(VULNDB)

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

clean:
	rm -rf bin $(DB) $(DB)-wal $(DB)-shm
