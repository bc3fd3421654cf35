package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"paygate/internal/db"
	"paygate/internal/notify"
)

func TestEnqueue(t *testing.T) {
	t.Parallel()
	valid := notify.Event{MerchantID: "mch_1", Type: "refund.succeeded", URL: "https://shop.example/notify", Data: map[string]any{"id": "rf_1", "note": "a<b&c"}}
	with := func(f func(*notify.Event)) notify.Event { ev := valid; f(&ev); return ev }
	tests := []struct {
		name     string
		ev       notify.Event
		wantErr  bool
		wantData string
	}{
		{name: "MapData", ev: valid, wantData: `{"id":"rf_1","note":"a<b&c"}`},
		{name: "RawDataCompacted", ev: with(func(e *notify.Event) { e.Data = json.RawMessage("{ \"id\" : \"rf_1\" }") }), wantData: `{"id":"rf_1"}`},
		{name: "NoMerchant", ev: with(func(e *notify.Event) { e.MerchantID = "" }), wantErr: true},
		{name: "NoType", ev: with(func(e *notify.Event) { e.Type = "" }), wantErr: true},
		{name: "RelativeURL", ev: with(func(e *notify.Event) { e.URL = "/notify" }), wantErr: true},
		{name: "FTPURL", ev: with(func(e *notify.Event) { e.URL = "ftp://shop.example/x" }), wantErr: true},
		{name: "URLWithCredentials", ev: with(func(e *notify.Event) { e.URL = "https://u:p@shop.example/x" }), wantErr: true},
		{name: "NoData", ev: with(func(e *notify.Event) { e.Data = nil }), wantErr: true},
		{name: "DataNotObject", ev: with(func(e *notify.Event) { e.Data = []int{1} }), wantErr: true},
		{name: "DataBadJSON", ev: with(func(e *notify.Event) { e.Data = json.RawMessage("{") }), wantErr: true},
	}
	engines(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var evtID string
				err := b.db.InTx(ctx, func(tx *db.Tx) error {
					var err error
					evtID, err = b.outbox.Enqueue(ctx, tx, tt.ev)
					return err
				})
				if tt.wantErr {
					if !errors.Is(err, notify.ErrInvalidEvent) {
						t.Fatalf("Enqueue = %v, want ErrInvalidEvent", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				n := mustGet(t, b.outbox, evtID)
				wantBody := `{"id":"` + evtID + `","type":"` + tt.ev.Type + `","created_at":"2026-03-01T09:00:00Z","data":` + tt.wantData + `}`
				want := notify.Notification{
					ID: evtID, MerchantID: "mch_1", Type: tt.ev.Type, URL: tt.ev.URL, Body: []byte(wantBody),
					State: notify.Pending, NextAttemptAt: t0, CreatedAt: t0,
				}
				if diff := cmp.Diff(want, n); diff != "" {
					t.Fatalf("stored event (-want +got):\n%s", diff)
				}
				if !strings.HasPrefix(evtID, "evt_") {
					t.Fatalf("id %q", evtID)
				}
			})
		}
	})
}

func TestList(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		enqueue := func(merchant, typ string) string {
			var evtID string
			err := b.db.InTx(ctx, func(tx *db.Tx) error {
				var err error
				evtID, err = b.outbox.Enqueue(ctx, tx, notify.Event{MerchantID: merchant, Type: typ, URL: "https://shop.example/n", Data: map[string]any{}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return evtID
		}
		var a []string
		for range 5 {
			a = append(a, enqueue("mch_a", "payment.succeeded"))
		}
		closed := enqueue("mch_a", "payment.closed")
		bID := enqueue("mch_b", "payment.succeeded")
		ids := func(ns []notify.Notification) []string {
			out := []string{}
			for _, n := range ns {
				out = append(out, n.ID)
			}
			return out
		}
		tests := []struct {
			name string
			p    notify.ListParams
			want []string
		}{
			{"All", notify.ListParams{}, []string{bID, closed, a[4], a[3], a[2], a[1], a[0]}},
			{"MerchantPage1", notify.ListParams{MerchantID: "mch_a", Limit: 2}, []string{closed, a[4]}},
			{"MerchantPage2", notify.ListParams{MerchantID: "mch_a", Limit: 2, Before: a[4]}, []string{a[3], a[2]}},
			{"Type", notify.ListParams{MerchantID: "mch_a", Type: "payment.closed"}, []string{closed}},
			{"OtherMerchant", notify.ListParams{MerchantID: "mch_b"}, []string{bID}},
			{"Failed", notify.ListParams{State: notify.Failed}, []string{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := b.outbox.List(ctx, tt.p)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
					t.Fatalf("List(%+v) (-want +got):\n%s", tt.p, diff)
				}
			})
		}
	})
}
