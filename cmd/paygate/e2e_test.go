package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"paygate/internal/web/browsertest"
)

// startDemo runs the demo in-process on free ports and returns the URLs it
// prints (shop, gateway health, banks) and its data directory.
func startDemo(t *testing.T, environ ...string) (urls map[string]string, dir string) {
	t.Helper()
	dir = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var stderr lockedBuffer
	go func() {
		done <- run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--data-dir", dir, "--shop-addr", "127.0.0.1:0",
			"--icbc-addr", "127.0.0.1:0", "--cmb-addr", "127.0.0.1:0", "--intl-addr", "127.0.0.1:0"}, environ, pw, &stderr)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("demo exited %d:\n%s", code, stderr.String())
		}
	})
	urls = map[string]string{}
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		f := strings.Fields(lines.Text())
		switch {
		case len(f) >= 3 && f[0] == "bank":
			urls["bank "+f[1]] = f[2]
		case len(f) >= 3 && f[0] == "demo" && f[1] == "shop":
			urls["shop"] = strings.TrimSuffix(f[2], "/")
		case len(f) >= 3 && f[0] == "gateway" && f[1] == "health":
			urls["health"] = f[2]
			urls["gateway"] = strings.TrimSuffix(f[2], "/healthz")
		}
		if strings.HasPrefix(lines.Text(), "Press Ctrl-C") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if urls["shop"] == "" || urls["health"] == "" {
		t.Fatalf("demo printed %v; stderr:\n%s", urls, stderr.String())
	}
	return urls, dir
}

// TestShopToCashierToPaid is the seed's flow in a real browser: the demo
// shop sends the buyer to the cashier, the buyer pays with test card 018,
// and the shop shows the order paid because a signed notification arrived
// and verified — then the books are proven clean.
func TestShopToCashierToPaid(t *testing.T) {
	t.Parallel()
	urls, dir := startDemo(t)
	ctx := browsertest.New(t, "en-US")
	browsertest.Step(t, ctx, "open the shop", chromedp.Navigate(urls["shop"]+"/"), chromedp.WaitVisible(chromedp.ID("buy-tea")))
	browsertest.Step(t, ctx, "buy the tea", chromedp.Click(chromedp.ID("buy-tea")), chromedp.WaitVisible(chromedp.ID("card_no")))
	browsertest.Step(t, ctx, "pay with card 018",
		chromedp.SendKeys(chromedp.ID("card_no"), "6222020000000000018"), chromedp.SendKeys(chromedp.ID("pin"), "123456"),
		chromedp.Click(chromedp.ID("pay-button")), chromedp.WaitVisible(chromedp.ID("success")))
	browsertest.ReturnToShop(t, ctx, "#order-status.paid")
	if got := browsertest.Text(t, ctx, "#order-status"); !strings.Contains(got, "Paid") {
		t.Fatalf("order status %q", got)
	}
	if body := browsertest.Text(t, ctx, "main"); !strings.Contains(body, "signed notification evt_") {
		t.Fatalf("the order page does not name the notification:\n%s", body)
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"ledger", "check", "--data-dir", dir}, nil, &out, &errOut); code != exitOK {
		t.Fatalf("ledger check: exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "168.00") {
		t.Fatalf("the payment is not in the books:\n%s", out.String())
	}
}
