// Package browsertest starts headless Chromium for the tests that drive
// paygate's pages in a real browser. Without Chromium they skip loudly,
// unless PAYGATE_TEST_REQUIRE lists "browser", in which case they fail.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"paygate/internal/db/dbtest"
)

// ChromiumPath finds the browser, or skips (or fails) t without one.
func ChromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	dbtest.Unavailable(t, "browser", errors.New("no chromium on PATH or at /usr/bin/chromium"))
	return ""
}

// New starts headless Chromium with the flags of STYLE §9 (no network
// beyond loopback, a fresh profile) and returns a tab; it is closed when t
// ends.
func New(t *testing.T, lang string) context.Context {
	t.Helper()
	path := ChromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", lang),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		dbtest.Unavailable(t, "browser", fmt.Errorf("start %s: %w", path, err))
	}
	return ctx
}

// Step runs actions with a 20 s timeout, failing t with what it was doing.
func Step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Text returns the text of the first element matching the CSS selector.
func Text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// ReturnToShop follows the cashier's success page back to the shop and
// waits for the element sel there. The success page also sends the payer
// back by itself after a few seconds, so on a slow machine that redirect
// may come first and leave no link to click: either way counts.
func ReturnToShop(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, _ = chromedp.Run(cctx, chromedp.Click(chromedp.ID("return-link"), chromedp.NodeVisible))
	cancel()
	Step(t, ctx, "back at the shop", chromedp.WaitVisible(sel))
}

// Screenshot saves the whole page to dir/name and, as a copy to look at, to
// the same name in the system's temporary directory (/tmp/name).
func Screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(os.TempDir(), name), png, 0o644); err != nil {
		t.Logf("copy of the screenshot: %v", err)
	}
}
