package portal_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/url"
	"testing"

	"paygate/internal/auth"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/staff"
	"paygate/internal/web/webtest"
)

// testPEM is a fresh Ed25519 public key in PEM.
func testPEM(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := auth.MarshalPublicKeyPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestKeysAndSettings: an admin registers a public key (a bad one is
// refused with its reason), sees the gateway's keys, and sets the notify
// URL (a bad one is refused); merchant B is untouched.
func TestKeysAndSettings(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		ctx := context.Background()
		b.newStaff(t, b.env.Merchant.ID, "admin@teashop.test", staff.Admin)
		u := b.login(t, "admin@teashop.test")

		res := u.get(t, "/portal/keys?lang=en")
		wantStatus(t, "keys page", res, http.StatusOK)
		gw := b.gwKeys.PublicKeys()[0]
		webtest.MustContain(t, "keys page", res.Body, `id="no-keys"`, gw.KeyID, "-----BEGIN PUBLIC KEY-----", `id="key-form"`)

		before := b.snapshot(t)
		res = u.submit(t, "/portal/keys?lang=en", "/portal/keys?lang=en", url.Values{"pem": {"not a key"}})
		wantStatus(t, "bad key", res, http.StatusBadRequest)
		webtest.MustContain(t, "bad key", res.Body, "This is not a usable public key", "not a key")
		if b.snapshot(t) != before {
			t.Fatal("a refused key changed state")
		}
		pemText := testPEM(t)
		res = u.submit(t, "/portal/keys?lang=en", "/portal/keys?lang=en", url.Values{"pem": {pemText}})
		wantStatus(t, "key", res, http.StatusSeeOther)
		res = u.get(t, res.Location)
		keys, err := b.merchants.ListKeys(ctx, b.env.Merchant.ID)
		if err != nil || len(keys) != 1 {
			t.Fatalf("keys %+v, %v", keys, err)
		}
		webtest.MustContain(t, "keys page after", res.Body, `id="flash"`, keys[0].ID, "ED25519")
		res = u.submit(t, "/portal/keys?lang=en", "/portal/keys?lang=en", url.Values{"pem": {pemText}})
		wantStatus(t, "the same key again", res, http.StatusConflict)
		if other, _ := b.merchants.ListKeys(ctx, b.other.ID); len(other) != 0 {
			t.Fatal("merchant B got a key")
		}

		before = b.snapshot(t)
		res = u.submit(t, "/portal/settings?lang=en", "/portal/settings?lang=en", url.Values{"notify_url": {"ftp://shop.example/n"}})
		wantStatus(t, "bad notify URL", res, http.StatusBadRequest)
		webtest.MustContain(t, "bad notify URL", res.Body, "must be an absolute http or https URL", "ftp://shop.example/n")
		if b.snapshot(t) != before {
			t.Fatal("a refused URL changed state")
		}
		res = u.submit(t, "/portal/settings?lang=en", "/portal/settings?lang=en", url.Values{"notify_url": {"https://tea.example/notify"}})
		wantStatus(t, "notify URL", res, http.StatusSeeOther)
		if m, _ := b.merchants.Get(ctx, b.env.Merchant.ID); m.NotifyURL != "https://tea.example/notify" {
			t.Fatalf("notify URL %q", m.NotifyURL)
		}
		if m, _ := b.merchants.Get(ctx, b.other.ID); m.NotifyURL != "https://other.example/notify" {
			t.Fatalf("merchant B's notify URL %q", m.NotifyURL)
		}
		webtest.MustContain(t, "settings page", u.get(t, "/portal/settings?lang=en").Body, `value="https://tea.example/notify"`)
	})
}
