package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestBankSimulatorLinksAndSettle runs `paygate bank` on loopback, checks
// `paygate bank links` signs on to every bank through the generated ZMK
// files, and writes a settlement file with `paygate bank settle`.
func TestBankSimulatorLinksAndSettle(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"bank", "--data-dir", dir, "--no-settlement",
			"--icbc-addr", "127.0.0.1:0", "--cmb-addr", "127.0.0.1:0", "--intl-addr", "127.0.0.1:0"}, nil, &out, &errOut)
	}()
	re := regexp.MustCompile(`bank (\w+) \(.*\) listening on (\S+),`)
	var addrs map[string]string
	deadline := time.Now().Add(10 * time.Second)
	for len(addrs) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("simulator did not start:\n%s\n%s", out.String(), errOut.String())
		}
		addrs = map[string]string{}
		for _, m := range re.FindAllStringSubmatch(out.String(), -1) {
			addrs[m[1]] = m[2]
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, bank := range []string{"icbc", "cmb", "intl"} {
		fi, err := os.Stat(filepath.Join(dir, "bank", bank+".zmk"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("ZMK file of %s: %v %v", bank, fi, err)
		}
	}

	code, stdout, stderr := runPaygate(t, nil, "bank", "links", "--data-dir", dir, "--timeout", "3s",
		"--icbc-addr", addrs["icbc"], "--cmb-addr", addrs["cmb"], "--intl-addr", addrs["intl"])
	if code != exitOK || strings.Count(stdout, " up ") != 3 {
		t.Fatalf("bank links: exit %d\n%s\n%s", code, stdout, stderr)
	}

	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("bank exited %d: %s", code, errOut.String())
	}
	code, stdout, stderr = runPaygate(t, nil, "bank", "settle", "--data-dir", dir, "--bank", "icbc", "--date", "2026-11-25")
	if code != exitOK {
		t.Fatalf("bank settle: exit %d\n%s", code, stderr)
	}
	b, err := os.ReadFile(strings.TrimSpace(stdout))
	if err != nil || !strings.HasPrefix(string(b), "H|icbc|20261125|") || !strings.Contains(string(b), "\nT|CNY|0|0|0|0\n") {
		t.Fatalf("settlement file %q: %v\n%s", stdout, err, b)
	}
}

func TestBankUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{"BadDate", []string{"bank", "settle", "--bank", "icbc", "--date", "25/11/2026"}},
		{"UnknownBank", []string{"bank", "settle", "--bank", "hsbc", "--date", "2026-11-25"}},
		{"NoBank", []string{"bank", "settle", "--date", "2026-11-25"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append(tt.args, "--data-dir", t.TempDir())
			if code, _, stderr := runPaygate(t, nil, args...); code != exitUsage {
				t.Fatalf("exit %d, want %d: %s", code, exitUsage, stderr)
			}
		})
	}
}

func TestBankLinksDown(t *testing.T) {
	t.Parallel()
	code, stdout, _ := runPaygate(t, nil, "bank", "links", "--data-dir", t.TempDir(), "--timeout", "200ms",
		"--icbc-addr", "127.0.0.1:1", "--cmb-addr", "127.0.0.1:1", "--intl-addr", "127.0.0.1:1")
	if code != exitFailure || !strings.Contains(stdout, "no") {
		t.Fatalf("exit %d\n%s", code, stdout)
	}
}
