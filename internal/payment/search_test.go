package payment_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"paygate/internal/channel"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/id"
	"paygate/internal/merchant"
	"paygate/internal/money"
	"paygate/internal/payment"
	"paygate/internal/payment/paymenttest"
)

// TestSearch: each filter narrows the merchant's payments, pages walk
// them newest first once, another merchant's never show, and bad filters
// are refused.
func TestSearch(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		env := paymenttest.New(t, d)
		a := env.Merchant.ID
		other, err := merchant.NewStore(d, id.NewGenerator(nil, nil)).Create(ctx, "Other", "", merchant.FeePlan{})
		if err != nil {
			t.Fatal(err)
		}
		var paid []payment.Payment
		for i := range 5 {
			paid = append(paid, env.Paid(t, fmt.Sprintf("A-%d", i+1), int64(i+1)*100))
		}
		open := env.Create(t, "A-OPEN", 9_00, "")
		theirs, err := env.Service.Create(ctx, payment.CreateParams{MerchantID: other.ID, MerchantOrderNo: "A-1",
			Amount: money.New(1_00, money.CNY), Subject: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.Service.PayByCard(ctx, theirs.ID, channel.Card{PAN: paymenttest.CardOK, PIN: "123456"}); err != nil {
			t.Fatal(err)
		}
		ids := func(ps ...payment.Payment) []string {
			var out []string
			for _, p := range ps {
				out = append(out, p.ID)
			}
			slices.Sort(out)
			slices.Reverse(out)
			return out
		}
		cny := func(minor int64) money.Amount { return money.New(minor, money.CNY) }
		now := time.Now()
		tests := []struct {
			name string
			f    payment.SearchFilter
			want []string
		}{
			{"All", payment.SearchFilter{}, ids(append(slices.Clone(paid), open)...)},
			{"Status", payment.SearchFilter{Status: payment.Created}, ids(open)},
			{"OrderNo", payment.SearchFilter{MerchantOrderNo: "A-1"}, ids(paid[0])},
			{"MinAmount", payment.SearchFilter{MinAmount: cny(4_00)}, ids(paid[3], paid[4], open)},
			{"MaxAmount", payment.SearchFilter{MaxAmount: cny(2_00)}, ids(paid[0], paid[1])},
			{"AmountRange", payment.SearchFilter{MinAmount: cny(2_00), MaxAmount: cny(3_00)}, ids(paid[1], paid[2])},
			{"OtherCurrency", payment.SearchFilter{MinAmount: money.New(1, money.USD)}, nil},
			{"Method", payment.SearchFilter{Method: "bankcard", MaxAmount: cny(9_00)}, ids(paid...)},
			{"NoSuchMethod", payment.SearchFilter{Method: "account"}, nil},
			{"Since", payment.SearchFilter{CreatedFrom: now.Add(-time.Hour), CreatedTo: now.Add(time.Hour), Status: payment.Succeeded}, ids(paid...)},
			{"Future", payment.SearchFilter{CreatedFrom: now.Add(time.Hour)}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.f.Limit = 100
				got, next, err := env.Service.Search(ctx, a, tt.f)
				if err != nil || next != "" {
					t.Fatalf("Search = %v, %q, %v", got, next, err)
				}
				if g := ids(got...); !slices.Equal(g, tt.want) {
					t.Fatalf("got %v, want %v", g, tt.want)
				}
			})
		}

		var walked []string
		f := payment.SearchFilter{Limit: 2}
		for pages := 0; ; pages++ {
			got, next, err := env.Service.Search(ctx, a, f)
			if err != nil || pages > 3 {
				t.Fatalf("page %d: %v", pages, err)
			}
			for _, p := range got {
				walked = append(walked, p.ID)
			}
			if next == "" {
				break
			}
			f.After = next
		}
		if want := ids(append(slices.Clone(paid), open)...); !slices.Equal(walked, want) {
			t.Fatalf("pages walked %v, want %v", walked, want)
		}

		methods, err := env.Service.PaidMethods(ctx, a, []string{paid[0].ID, open.ID, theirs.ID, "pay_nope"})
		if err != nil || len(methods) != 1 || methods[paid[0].ID] != "bankcard" {
			t.Fatalf("PaidMethods = %v, %v", methods, err)
		}

		for _, bad := range []payment.SearchFilter{
			{Limit: 0}, {Limit: payment.MaxSearchLimit + 1}, {Limit: 10, Status: "paid"},
			{Limit: 10, MinAmount: cny(5_00), MaxAmount: cny(4_00)},
			{Limit: 10, MinAmount: cny(1_00), MaxAmount: money.New(5_00, money.USD)},
		} {
			if _, _, err := env.Service.Search(ctx, a, bad); !errors.Is(err, payment.ErrInvalid) {
				t.Errorf("Search(%+v) = %v, want payment_invalid", bad, err)
			}
		}
	})
}
