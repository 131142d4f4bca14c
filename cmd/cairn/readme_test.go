package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readmePath is the README, seen from this package's directory.
const readmePath = "../../README.md"

// readmeBlock is one fenced ```sh block of the README.
type readmeBlock struct {
	Line int    // of the opening fence, 1-based
	Body string // without the fences
	// Marker is what the HTML comment right above the fence says:
	// "skip" (the block only starts things: make run, make test),
	// "expect-error" (the block shows a refusal) or "" (none).
	Marker string
	// Code is the extensions.code an expect-error block shows.
	Code string
}

var readmeMarker = regexp.MustCompile(`^<!--\s*readme-test:\s*(skip|expect-error)\b\s*([A-Z_]*)[^>]*-->$`)

// readmeBlocks returns the ```sh blocks of a Markdown text, each with the
// readme-test marker on the last non-blank line before it, if any.
func readmeBlocks(md string) ([]readmeBlock, error) {
	var (
		blocks []readmeBlock
		cur    *readmeBlock
		body   strings.Builder
		prev   string // last non-blank line outside a block
	)
	for i, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur != nil {
			if trimmed == "```" {
				cur.Body = body.String()
				blocks = append(blocks, *cur)
				cur, prev = nil, ""
				continue
			}
			body.WriteString(line + "\n")
			continue
		}
		if lang, ok := strings.CutPrefix(trimmed, "```"); ok && lang != "sh" && shellFence(lang) {
			return nil, fmt.Errorf("line %d: a shell example fenced %q: fence it ```sh so that it is tested", i+1, trimmed)
		}
		if trimmed == "```sh" {
			cur = &readmeBlock{Line: i + 1}
			body.Reset()
			if m := readmeMarker.FindStringSubmatch(prev); m != nil {
				cur.Marker, cur.Code = m[1], m[2]
				if cur.Marker == "expect-error" && cur.Code == "" {
					return nil, fmt.Errorf("line %d: expect-error names no extensions.code", i+1)
				}
			}
			continue
		}
		if strings.HasPrefix(trimmed, "<!--") && strings.Contains(trimmed, "readme-test") && readmeMarker.FindString(trimmed) == "" {
			return nil, fmt.Errorf("line %d: a readme-test marker the test does not understand: %s", i+1, trimmed)
		}
		if trimmed != "" {
			prev = trimmed
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("line %d: the ```sh block is not closed", cur.Line)
	}
	return blocks, nil
}

// talksToCairn says whether a block runs against the demo server or binary.
func talksToCairn(body string) bool {
	return strings.Contains(body, "localhost:8080") || strings.Contains(body, "bin/cairn ")
}

func TestReadmeBlocksParse(t *testing.T) {
	md := "# T\n\n<!-- readme-test: skip (starts the server) -->\n```sh\nmake run\n```\n\ntext\n\n" +
		"<!-- readme-test: expect-error BAD_USER_INPUT -->\n\n```sh\ncurl -s localhost:8080/graphql\n# note\n```\n" +
		"```go\nx := 1\n```\n```sh\n./bin/cairn lookup x\n```\n"
	got, err := readmeBlocks(md)
	if err != nil {
		t.Fatal(err)
	}
	want := []readmeBlock{
		{Line: 4, Body: "make run\n", Marker: "skip"},
		{Line: 12, Body: "curl -s localhost:8080/graphql\n# note\n", Marker: "expect-error", Code: "BAD_USER_INPUT"},
		{Line: 19, Body: "./bin/cairn lookup x\n"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("readmeBlocks:\n got %+v\nwant %+v", got, want)
	}
	for _, tt := range []struct {
		json string
		want bool
	}{
		{`{"configurationItems":{"edges":[],"totalCount":0}}`, false},
		{`{"configurationItemAt":null}`, false},
		{`{"impact":{"count":3,"nodes":[]}}`, true},
		{`{"configurationItemAt":{"existed":true}}`, true},
		{`{"lookup":[{"name":"fra1-db01"}]}`, true},
	} {
		var v any
		if err := json.Unmarshal([]byte(tt.json), &v); err != nil {
			t.Fatal(err)
		}
		if got := hasContent(v); got != tt.want {
			t.Errorf("hasContent(%s) = %v, want %v", tt.json, got, tt.want)
		}
	}
	for _, bad := range []string{
		"<!-- readme-test: expect-error -->\n```sh\ncurl\n```\n",
		"<!-- readme-test: skipp -->\n```sh\nmake\n```\n",
		"```sh\ncurl\n",
		"```bash\ncurl -s localhost:8080/graphql\n```\n",
		"```console\n$ ./bin/cairn lookup x\n```\n",
		"```sh title=lookup\n./bin/cairn lookup x\n```\n",
	} {
		if _, err := readmeBlocks(bad); err == nil {
			t.Errorf("readmeBlocks(%q): no error", bad)
		}
	}
}

// graphQLAnswers finds the GraphQL responses ({"data"… or {"errors"…) in a
// block's output, which may mix them with tables and logs.
func graphQLAnswers(out string) []map[string]json.RawMessage {
	var answers []map[string]json.RawMessage
	for i := 0; i < len(out); {
		j := strings.Index(out[i:], `{"`)
		if j < 0 {
			break
		}
		start := i + j
		if !strings.HasPrefix(out[start:], `{"data"`) && !strings.HasPrefix(out[start:], `{"errors"`) {
			i = start + 2
			continue
		}
		dec := json.NewDecoder(strings.NewReader(out[start:]))
		var a map[string]json.RawMessage
		if err := dec.Decode(&a); err != nil {
			i = start + 2
			continue
		}
		answers = append(answers, a)
		i = start + int(dec.InputOffset())
	}
	return answers
}

type answerError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

func answerErrors(a map[string]json.RawMessage) ([]answerError, error) {
	raw, ok := a["errors"]
	if !ok {
		return nil, nil
	}
	var errs []answerError
	if err := json.Unmarshal(raw, &errs); err != nil {
		return nil, fmt.Errorf("errors is not a list of GraphQL errors: %w", err)
	}
	return errs, nil
}

// curlCalls counts the commands of a block that start with curl and call
// /graphql (the alert intake's answers are not GraphQL answers; curl fails
// the block on their error statuses).
func curlCalls(body string) int {
	n := 0
	for _, line := range strings.Split(body, "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "curl ") && strings.Contains(l, "/graphql") {
			n++
		}
	}
	return n
}

// demoServer builds cairn into dir/bin/cairn, seeds dir/cairn-demo.db with
// the demo estate as `make run` does, and serves it on a free loopback
// port with anonymous read. It returns the address.
func demoServer(t *testing.T, ctx context.Context, dir string) string {
	t.Helper()
	lab := os.Getenv("CAIRN_LAB") == "1"
	cannot := func(format string, args ...any) {
		t.Helper()
		if lab {
			t.Fatalf(format, args...)
		}
		t.Skipf(format+" (the README examples need it; CAIRN_LAB=1 makes this a failure)", args...)
	}
	for _, tool := range []string{"go", "bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			cannot("no %s on PATH: %v", tool, err)
		}
	}
	bin := filepath.Join(dir, "bin", "cairn")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		cannot("cannot build cairn: %v\n%s", err, out)
	}
	seed := exec.CommandContext(ctx, bin, "seed", "--demo", "--db", filepath.Join(dir, "cairn-demo.db"))
	seed.Dir = dir
	seed.Env = cairnEnv()
	if out, err := seed.CombinedOutput(); err != nil {
		t.Fatalf("cairn seed --demo: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var log bytes.Buffer
	serve := exec.Command(bin, "serve", "--db", "./cairn-demo.db", "--addr", addr, "--allow-anonymous-read")
	serve.Dir = dir
	serve.Env = cairnEnv()
	serve.Stdout, serve.Stderr = &log, &log
	if err := serve.Start(); err != nil {
		t.Fatalf("cairn serve: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- serve.Wait() }()
	t.Cleanup(func() {
		_ = serve.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = serve.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("cairn serve's log:\n%s", log.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("cairn serve exited: %v\n%s", err, log.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("cairn serve is not ready on %s after 30s (last: %v)\n%s", addr, err, log.String())
		}
	}
}

// cairnEnv is this process's environment without CAIRN_* settings, which
// would point the examples at another database or server.
func cairnEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CAIRN_") {
			env = append(env, kv)
		}
	}
	return env
}

// TestReadmeExamples runs the README's shell examples as a reader pastes
// them: in order, in one bash session (so TOKEN carries over), in a
// directory laid out like the repository (bin/cairn, cairn-demo.db,
// testdata/) against a demo server. A block fails on a non-zero exit, an
// HTTP error status from curl, or a GraphQL error, except a block marked
// expect-error, which must show that extensions.code.
func TestReadmeExamples(t *testing.T) {
	md, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := readmeBlocks(string(md))
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	var run []readmeBlock
	for _, b := range blocks {
		switch {
		case b.Marker == "skip":
		case talksToCairn(b.Body):
			run = append(run, b)
		default:
			t.Errorf("README.md:%d: a sh block that neither talks to cairn nor is marked <!-- readme-test: skip (why) -->:\n%s", b.Line, b.Body)
		}
	}
	if len(run) == 0 {
		t.Fatal("README.md has no examples to run")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	addr := demoServer(t, ctx, dir)
	testdata, err := filepath.Abs("../../testdata")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(testdata, filepath.Join(dir, "testdata")); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, ".readme-test")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}

	sh := exec.CommandContext(ctx, "bash", "--noprofile", "--norc")
	sh.Dir = dir
	sh.Env = cairnEnv()
	stdin, err := sh.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := sh.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var shErr bytes.Buffer
	sh.Stderr = &shErr
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		_ = sh.Wait()
	}()
	// -e: a failing command ends the session; curl fails on an HTTP error
	// status and still prints the body.
	if _, err := io.WriteString(stdin, "set -e -o pipefail\ncurl() { command curl --fail-with-body \"$@\"; }\n"); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)

	lab := os.Getenv("CAIRN_LAB") == "1"
	for i, b := range run {
		if why := missingPrograms(b.Body); why != "" {
			if lab {
				t.Fatalf("README.md:%d: %s, and CAIRN_LAB=1 makes that a failure", b.Line, why)
			}
			t.Logf("README.md:%d: not run: %s (CAIRN_LAB=1 makes this a failure)", b.Line, why)
			continue
		}
		script := strings.ReplaceAll(b.Body, "localhost:8080", addr)
		file := filepath.Join(work, fmt.Sprintf("block-%02d.sh", i))
		outFile := filepath.Join(work, fmt.Sprintf("block-%02d.out", i))
		if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		fmt.Fprintf(stdin, "{ . %q; } >%q 2>&1\necho readme-block-done\n", file, outFile)
		done := lines.Scan() && lines.Text() == "readme-block-done"
		out, _ := os.ReadFile(outFile)
		if !done {
			_ = sh.Wait()
			t.Fatalf("README.md:%d: the block failed (%v):\n%s\noutput:\n%s%s", b.Line, sh.ProcessState, b.Body, out, shErr.String())
		}
		t.Logf("README.md:%d: ran in %v", b.Line, time.Since(start).Round(time.Millisecond))
		checkBlockOutput(t, b, string(out))
	}
}

// readmePrograms are the programs outside Cairn's own tools that README
// examples run, with the Debian packages that bring them: a block starting
// one runs only where it is installed and the test runs as root (the
// inventory agents keep their state under /var/lib).
var readmePrograms = map[string]string{
	"fusioninventory-agent": "fusioninventory-agent",
	"ocsinventory-agent":    "ocsinventory-agent",
}

// missingPrograms says why a block cannot run here ("" when it can): a
// program of readmePrograms it starts is not installed, or this is not root.
func missingPrograms(body string) string {
	for _, line := range strings.Split(body, "\n") {
		prog, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		pkg, ok := readmePrograms[prog]
		if !ok {
			continue
		}
		if _, err := exec.LookPath(prog); err != nil {
			return fmt.Sprintf("%s is not installed (apt-get install %s)", prog, pkg)
		}
		if os.Geteuid() != 0 {
			return fmt.Sprintf("%s needs root", prog)
		}
	}
	return ""
}

// shellFence reports whether a fence's info string names a shell, in any
// of the spellings Markdown renderers accept ("bash", "shell", "console",
// "sh title=x", "zsh"…).
func shellFence(info string) bool {
	lang, _, _ := strings.Cut(strings.TrimSpace(info), " ")
	switch strings.Trim(strings.ToLower(lang), "{}.") {
	case "sh", "bash", "shell", "console", "zsh", "shell-session", "shellsession":
		return true
	}
	return false
}

// hasContent reports whether a decoded JSON value holds anything: a
// non-empty string, a non-zero number or true somewhere inside. An answer
// whose data is only nulls, empty lists, zeros and false shows that an
// example's names (a host, an ID) no longer match the demo estate.
func hasContent(v any) bool {
	switch x := v.(type) {
	case string:
		return x != ""
	case float64:
		return x != 0
	case bool:
		return x
	case []any:
		for _, e := range x {
			if hasContent(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if hasContent(e) {
				return true
			}
		}
	}
	return false
}

// checkBlockOutput checks the GraphQL answers a block printed.
func checkBlockOutput(t *testing.T, b readmeBlock, out string) {
	t.Helper()
	answers := graphQLAnswers(out)
	if n := curlCalls(b.Body); len(answers) != n {
		t.Errorf("README.md:%d: %d curl calls printed %d GraphQL answers:\n%s", b.Line, n, len(answers), out)
	}
	var codes []string
	for _, a := range answers {
		errs, err := answerErrors(a)
		if err != nil {
			t.Errorf("README.md:%d: %v", b.Line, err)
		}
		for _, e := range errs {
			code, _ := e.Extensions["code"].(string)
			codes = append(codes, code)
			if b.Marker != "expect-error" {
				t.Errorf("README.md:%d: GraphQL error %q (code %q):\n%s", b.Line, e.Message, code, b.Body)
			} else if code != b.Code {
				t.Errorf("README.md:%d: GraphQL error %q has code %q, want %s", b.Line, e.Message, code, b.Code)
			}
		}
		raw, ok := a["data"]
		if !ok && len(errs) == 0 {
			t.Errorf("README.md:%d: an answer with neither data nor errors", b.Line)
		}
		var data any
		if ok {
			if err := json.Unmarshal(raw, &data); err != nil {
				t.Errorf("README.md:%d: data is not JSON: %v", b.Line, err)
			}
		}
		if len(errs) == 0 && !hasContent(data) {
			t.Errorf("README.md:%d: an answer whose data is empty (only nulls, empty lists, zeros and false): does the example still name something in the demo estate?\n%s", b.Line, out)
		}
	}
	if b.Marker == "expect-error" && len(codes) == 0 {
		t.Errorf("README.md:%d: marked expect-error %s, but no GraphQL error came back:\n%s", b.Line, b.Code, out)
	}
}

// TestReadmeLinks checks that README links to files in the repository
// only, and that its layout names every discovery package.
func TestReadmeLinks(t *testing.T) {
	md, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(md)
	for _, m := range regexp.MustCompile(`\]\(([^)\s]+)\)`).FindAllStringSubmatch(text, -1) {
		target := m[1]
		if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
			continue
		}
		target, _, _ = strings.Cut(target, "#")
		if strings.HasPrefix(target, "../") || filepath.IsAbs(target) {
			t.Errorf("README links to %s, outside the repository", m[1])
			continue
		}
		if _, err := os.Stat(filepath.Join("../..", target)); err != nil {
			t.Errorf("README links to %s, which does not exist: %v", m[1], err)
		}
	}
	if strings.Contains(text, "shared/") {
		t.Error("README names a file in shared/, which is not in the repository")
	}
	layout := text
	if i := strings.Index(text, "\n## Layout"); i >= 0 {
		layout = text[i:]
	} else {
		t.Fatal("README has no Layout section")
	}
	entries, err := os.ReadDir("../../discovery")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "testdata" {
			continue
		}
		if !strings.Contains(layout, "`"+e.Name()+"`") {
			t.Errorf("the README's Layout section does not name discovery/%s", e.Name())
		}
	}
}
