package merchant_test

import (
	"context"
	"errors"
	"testing"

	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/id"
	"paygate/internal/merchant"
	"paygate/internal/money"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestFee(t *testing.T) {
	t.Parallel()
	tests := []struct {
		plan   merchant.FeePlan
		amount int64
		want   int64
	}{
		{merchant.FeePlan{RateBps: 60}, 10_000, 60},                 // 0.6 % of 100.00
		{merchant.FeePlan{RateBps: 60}, 1_25, 1},                    // 0.75 fen → 1 (half-even)
		{merchant.FeePlan{RateBps: 60}, 4_16, 2},                    // 2.496 → 2
		{merchant.FeePlan{RateBps: 50}, 1_00, 0},                    // 0.5 → 0 (half-even to even)
		{merchant.FeePlan{RateBps: 50}, 3_00, 2},                    // 1.5 → 2
		{merchant.FeePlan{RateBps: 60, FixedMinor: 10}, 10_000, 70}, // rate + fixed
		{merchant.FeePlan{RateBps: 60, MinMinor: 100}, 10_000, 100}, // minimum
		{merchant.FeePlan{FixedMinor: 500}, 300, 300},               // never above the amount
	}
	for _, tt := range tests {
		got, err := tt.plan.Fee(money.New(tt.amount, money.CNY))
		if err != nil || got.Minor() != tt.want {
			t.Errorf("%+v.Fee(%d) = %v, %v; want %d", tt.plan, tt.amount, got, err, tt.want)
		}
	}
}

func TestCreateAndGet(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		s := merchant.NewStore(d, id.NewGenerator(nil, nil))
		ctx := context.Background()
		m, err := s.Create(ctx, "  Demo Shop 演示商店 ", "https://shop.example/notify", merchant.FeePlan{RateBps: 60, MinMinor: 1})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, m.ID)
		if err != nil || got != m || got.Name != "Demo Shop 演示商店" {
			t.Fatalf("Get = %+v, %v; want %+v", got, err, m)
		}
		if _, err := s.Get(ctx, "mch_nope"); !errors.Is(err, merchant.ErrNotFound) {
			t.Fatalf("Get(unknown) = %v", err)
		}
		for _, bad := range []struct {
			name, url string
			fees      merchant.FeePlan
		}{
			{"", "", merchant.FeePlan{}},
			{"x", "ftp://x", merchant.FeePlan{}},
			{"x", "/relative", merchant.FeePlan{}},
			{"x", "", merchant.FeePlan{RateBps: 10_001}},
			{"x", "", merchant.FeePlan{MinMinor: -1}},
		} {
			if _, err := s.Create(ctx, bad.name, bad.url, bad.fees); !errors.Is(err, merchant.ErrInvalid) {
				t.Errorf("Create(%+v) = %v, want ErrInvalid", bad, err)
			}
		}
	})
}
