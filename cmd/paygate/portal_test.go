package main

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/staff"
	"paygate/internal/web/webtest"
)

var formTokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// portalLogin logs in to the merchant portal at portalURL as a browser
// would and checks the payments page shows the demo tea shop.
func portalLogin(t *testing.T, portalURL, email, password string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := webtest.NewClient(jar)
	res := webtest.Get(t, c, portalURL+"login?lang=en")
	m := formTokenRE.FindStringSubmatch(res.Body)
	if res.Status != http.StatusOK || m == nil {
		t.Fatalf("portal log-in page: %d\n%s", res.Status, webtest.Excerpt(res.Body))
	}
	res = webtest.PostForm(t, c, portalURL+"login?lang=en", url.Values{"csrf_token": {m[1]}, "email": {email}, "password": {password}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("portal log-in as %s: %d\n%s", email, res.Status, webtest.Excerpt(res.Body))
	}
	res = webtest.Get(t, c, portalURL+"payments?lang=en")
	if res.Status != http.StatusOK || !strings.Contains(res.Body, "Tea Shop") {
		t.Fatalf("portal payments: %d\n%s", res.Status, webtest.Excerpt(res.Body))
	}
}

// TestMerchantAddStaff: add-staff creates a portal log-in with the given
// or a made-up password, and refuses a bad role, a taken email and an
// unknown merchant.
func TestMerchantAddStaff(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errOut := runPaygate(t, nil, "merchant", "create", "--data-dir", dir, "--name", "Tea 茶")
	if code != exitOK {
		t.Fatalf("merchant create: exit %d %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	mid := lines[len(lines)-1]

	code, out, errOut = runPaygate(t, nil, "merchant", "add-staff", "--data-dir", dir, "--merchant", mid,
		"--email", "Finance@Tea.test", "--role", "finance")
	if code != exitOK || !strings.Contains(out, "finance@tea.test, role finance") {
		t.Fatalf("add-staff: exit %d\n%s\n%s", code, out, errOut)
	}
	pw := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(out)
	if pw == nil || len(pw[1]) != 20 {
		t.Fatalf("no made-up password in:\n%s", out)
	}
	code, out, errOut = runPaygate(t, nil, "merchant", "add-staff", "--data-dir", dir, "--merchant", mid,
		"--email", "viewer@tea.test", "--role", "viewer", "--password", "viewer Password 1")
	if code != exitOK || strings.Contains(out, "password:") {
		t.Fatalf("add-staff with a password: exit %d\n%s\n%s", code, out, errOut)
	}

	d := dbtest.Open(t, "sqlite:"+filepath.Join(dir, "paygate.db"), db.Options{})
	svc := staff.NewService(d, staff.Options{})
	for email, password := range map[string]string{"finance@tea.test": pw[1], "viewer@tea.test": "viewer Password 1"} {
		if m, err := svc.Login(context.Background(), email, password); err != nil || m.MerchantID != mid {
			t.Fatalf("log-in as %s: %+v, %v", email, m, err)
		}
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--merchant", mid, "--email", "x@tea.test", "--role", "owner"}, "staff_role_invalid"},
		{[]string{"--merchant", mid, "--email", "viewer@tea.test", "--role", "viewer"}, "already logs in"},
		{[]string{"--merchant", "mch_nobody", "--email", "y@tea.test", "--role", "admin"}, "No such merchant"},
		{[]string{"--merchant", mid, "--email", "z@tea.test", "--role", "admin", "--password", "short"}, "password"},
		{[]string{"--merchant", mid, "--role", "admin"}, "needs --merchant, --email and --role"},
	} {
		args := append([]string{"merchant", "add-staff", "--data-dir", dir}, tt.args...)
		if code, _, errOut := runPaygate(t, nil, args...); code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d %s", tt.args, code, errOut)
		}
	}
}
