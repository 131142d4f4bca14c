// Command gqlgen generates graph/generated from gqlgen.yml (run by
// generate.go, so `go generate ./...` and `make generate` are one step) and
// then makes GraphQL lists marshal inline: every call of
// graphql.MarshalSliceConcurrently in the executable schema becomes a call
// of marshalSliceInline (graph/generated/inline.go says why); and makes
// every object's deferred group compute its path only when something was
// deferred (newDeferredGroup, graph/generated/inline.go).
//
// Written by hand because gqlgen has no setting for it: exec.worker_limit
// bounds the goroutines but still starts one per element, the per-type
// @concurrent opt-in (99designs/gqlgen#3203) is not in the version Cairn runs,
// and its plugins' GenerateCode runs before the executable schema is written,
// so no plugin can see it.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"
)

// rewrites are the textual replacements made in the executable schema;
// each must match at least once, or gqlgen's template changed.
var rewrites = []struct{ from, to string }{
	{"graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, ", "marshalSliceInline(ctx, len(v), "},
	{"deferred := graphql.NewDeferredGroup(ctx)", "deferred := newDeferredGroup(ctx)"},
	{"ec.ProcessDeferredGroup(deferred)", "ec.ProcessDeferredGroup(withDeferredPath(ctx, deferred))"},
}

func main() {
	if err := run("gqlgen.yml"); err != nil {
		log.Fatalf("gqlgen: %v", err)
	}
}

func run(configFile string) error {
	cfg, err := config.LoadConfig(configFile)
	if err != nil {
		return fmt.Errorf("loading %s: %w", configFile, err)
	}
	if err := api.Generate(cfg); err != nil {
		return fmt.Errorf("generating: %w", err)
	}
	exec := cfg.Exec.Filename
	src, err := os.ReadFile(exec)
	if err != nil {
		return fmt.Errorf("reading the executable schema: %w", err)
	}
	for _, r := range rewrites {
		if n := bytes.Count(src, []byte(r.from)); n == 0 {
			return fmt.Errorf("%s holds %q nowhere: gqlgen's template changed, update %s", exec, r.from, "internal/codegen/gqlgen")
		}
		src = bytes.ReplaceAll(src, []byte(r.from), []byte(r.to))
	}
	if err := os.WriteFile(exec, src, 0o644); err != nil {
		return fmt.Errorf("writing the executable schema: %w", err)
	}
	// gofmt everything gqlgen wrote (resolver stubs included).
	return filepath.WalkDir(filepath.Dir(cfg.Resolver.Dir()+"/"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		return gofmtFile(path)
	})
}

// gofmtFile formats path in place, writing only when it changes.
func gofmtFile(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	out, err := format.Source(src)
	if err != nil {
		return fmt.Errorf("formatting %s: %w", path, err)
	}
	if bytes.Equal(src, out) {
		return nil
	}
	return os.WriteFile(path, out, 0o644)
}
