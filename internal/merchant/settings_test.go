package merchant_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"

	"paygate/internal/auth"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/id"
	"paygate/internal/merchant"
)

func TestSetNotifyURL(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := merchant.NewStore(d, id.NewGenerator(nil, nil))
		m, err := s.Create(ctx, "Tea", "https://tea.example/old", merchant.FeePlan{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.SetNotifyURL(ctx, m.ID, "https://tea.example/new")
		if err != nil || got.NotifyURL != "https://tea.example/new" || got.Name != "Tea" {
			t.Fatalf("SetNotifyURL = %+v, %v", got, err)
		}
		for _, bad := range []string{"ftp://tea.example/n", "/relative", "https://"} {
			if _, err := s.SetNotifyURL(ctx, m.ID, bad); !errors.Is(err, merchant.ErrInvalid) {
				t.Errorf("SetNotifyURL(%q) = %v", bad, err)
			}
		}
		if _, err := s.SetNotifyURL(ctx, "mch_nobody", "https://tea.example/n"); !errors.Is(err, merchant.ErrNotFound) {
			t.Errorf("unknown merchant: %v", err)
		}
		if got, err := s.SetNotifyURL(ctx, m.ID, ""); err != nil || got.NotifyURL != "" {
			t.Fatalf("clearing: %+v, %v", got, err)
		}
		if got, _ := s.Get(ctx, m.ID); got.NotifyURL != "" {
			t.Fatalf("stored %q", got.NotifyURL)
		}
	})
}

func TestListKeys(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := merchant.NewStore(d, id.NewGenerator(nil, nil))
		m, _ := s.Create(ctx, "Tea", "", merchant.FeePlan{})
		other, _ := s.Create(ctx, "Other", "", merchant.FeePlan{})
		if keys, err := s.ListKeys(ctx, m.ID); err != nil || len(keys) != 0 {
			t.Fatalf("no keys yet: %v, %v", keys, err)
		}
		var added []merchant.Key
		for range 2 {
			pub, _, _ := ed25519.GenerateKey(rand.Reader)
			p, _ := auth.MarshalPublicKeyPEM(pub)
			k, err := s.AddKey(ctx, m.ID, p)
			if err != nil {
				t.Fatal(err)
			}
			added = append(added, k)
		}
		keys, err := s.ListKeys(ctx, m.ID)
		if err != nil || len(keys) != 2 {
			t.Fatalf("ListKeys = %+v, %v", keys, err)
		}
		byID := map[string]merchant.Key{keys[0].ID: keys[0], keys[1].ID: keys[1]}
		for _, a := range added {
			if k := byID[a.ID]; k.SignType != auth.ED25519 || k.PEM != a.PEM || k.CreatedAt.IsZero() {
				t.Fatalf("listed %+v, added %+v", k, a)
			}
		}
		if keys, _ := s.ListKeys(ctx, other.ID); len(keys) != 0 {
			t.Fatalf("another merchant lists %v", keys)
		}
	})
}
