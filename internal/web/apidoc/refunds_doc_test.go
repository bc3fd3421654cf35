package apidoc

import (
	"slices"
	"sort"
	"testing"

	"paygate/internal/payment"
)

// TestRefundSchemasMatchStructs: the refund schemas are exactly the json
// tags of the structs the API encodes and decodes (as
// TestSchemasMatchStructs checks the payment ones), and the refund status
// enum is the service's.
func TestRefundSchemasMatchStructs(t *testing.T) {
	tests := []struct {
		schema, typ string
		response    bool
	}{
		{"Refund", "refundJSON", true},
		{"CreateRefundRequest", "createRefundRequest", false},
		{"RefundList", "refundListJSON", true},
	}
	for _, tt := range tests {
		t.Run(tt.schema, func(t *testing.T) {
			names, omit, types := structTags(t, "internal/web/api/refunds.go", tt.typ)
			s := schemaOf(t, tt.schema)
			props := at(t, s, "properties").(map[string]any)
			sort.Strings(names)
			if got := keys(props); !slices.Equal(got, names) {
				t.Errorf("%s properties = %v, want %v", tt.schema, got, names)
			}
			for _, n := range names {
				p, _ := props[n].(map[string]any)
				if _, isRef := p["$ref"]; isRef {
					continue
				}
				if got, want := p["type"], jsonType(types[n]); got != want {
					t.Errorf("%s.%s type = %v, want %s", tt.schema, n, got, want)
				}
			}
			if !tt.response {
				return
			}
			var want []string
			for _, n := range names {
				if !omit[n] {
					want = append(want, n)
				}
			}
			if got := strs(s["required"]); !slices.Equal(got, want) {
				t.Errorf("%s required = %v, want %v", tt.schema, got, want)
			}
		})
	}
	want := []string{string(payment.RefundFailed), string(payment.RefundPending), string(payment.RefundProcessing), string(payment.RefundSucceeded)}
	if got := strs(schemaOf(t, "RefundStatus")["enum"]); !slices.Equal(got, want) {
		t.Errorf("RefundStatus enum = %v, want %v", got, want)
	}
	hooks := at(t, loadDoc(t), "webhooks").(map[string]any)
	for _, typ := range []string{"refund.succeeded", "refund.failed"} {
		if _, ok := at(t, hooks, typ).(map[string]any)["post"]; !ok {
			t.Errorf("webhook %s has no post", typ)
		}
	}
}
