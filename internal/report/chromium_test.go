package report_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-cmdb/cairn/internal/report"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// strict reports whether a missing browser must fail the test rather than
// skip it (the lab and CI have it installed).
func strict() bool { return os.Getenv("CAIRN_LAB") == "1" || os.Getenv("CI") == "true" }

// TestHTMLInChromium opens the fixture's HTML report from disk in headless
// Chromium and takes a screenshot: the browser must exit cleanly, log no
// console error or uncaught exception, and draw a page that is not blank.
func TestHTMLInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if strict() {
			t.Fatalf("%s is missing but CAIRN_LAB=1 or CI=true: the HTML report must be checked in a browser (apt-get install chromium)", chromiumPath)
		}
		t.Skipf("%s not found: install it with apt-get install chromium to check the HTML report in a browser", chromiumPath)
	}
	e := open(t, storetest.SQLiteDSN(t))
	seed(t, e)
	r := build(t, e.c, fixtureOptions())
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	out, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := report.Write(out, r, "html"); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromiumPath,
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
		"--user-data-dir="+filepath.Join(dir, "profile"),
		"--enable-logging=stderr", "--v=0",
		"--screenshot="+shot, "--window-size=1200,1600",
		"file://"+page)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("chromium did not finish within 60 s:\n%s", tail(stderr.String()))
	}
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, tail(stderr.String()))
	}
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "Uncaught") || (strings.Contains(line, "CONSOLE") && strings.Contains(line, "ERROR")) {
			t.Errorf("browser console: %s", line)
		}
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, tail(stderr.String()))
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	colours, inked := inspect(img)
	if colours <= 2 {
		t.Errorf("screenshot has %d distinct colours: the page looks blank", colours)
	}
	if inked < 0.02 {
		t.Errorf("only %.2f%% of the screenshot is not white: the page looks blank", inked*100)
	}
	t.Logf("screenshot %v: %d colours, %.1f%% not white", img.Bounds().Size(), colours, inked*100)
	if *keepShot != "" {
		if err := copyFile(shot, *keepShot); err != nil {
			t.Error(err)
		}
	}
}

// inspect counts the distinct colours of img (up to 1,000) and the share of
// pixels that are not (nearly) white.
func inspect(img image.Image) (colours int, inked float64) {
	seen := map[uint32]bool{}
	b := img.Bounds()
	n, dark := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			if len(seen) < 1000 {
				seen[r<<16|g<<8|bl] = true
			}
			n++
			if r < 235 || g < 235 || bl < 235 {
				dark++
			}
		}
	}
	return len(seen), float64(dark) / float64(max(n, 1))
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		return errors.Join(errors.New("keeping the screenshot"), err)
	}
	return nil
}
