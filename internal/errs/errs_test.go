package errs

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestKindStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind Kind
		want int
	}{
		{Internal, http.StatusInternalServerError},
		{Invalid, http.StatusBadRequest},
		{Unauthorized, http.StatusUnauthorized},
		{Forbidden, http.StatusForbidden},
		{NotFound, http.StatusNotFound},
		{Conflict, http.StatusConflict},
		{Unprocessable, http.StatusUnprocessableEntity},
		{Unavailable, http.StatusServiceUnavailable},
		{Kind(200), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := tt.kind.HTTPStatus(); got != tt.want {
			t.Errorf("%v.HTTPStatus() = %d, want %d", tt.kind, got, tt.want)
		}
	}
}

func TestIsByCodeThroughWrapping(t *testing.T) {
	t.Parallel()
	sentinel := E(NotFound, "payment_not_found", "No such payment.")
	err := fmt.Errorf("get payment: %w", Wrap(NotFound, "payment_not_found", "No such payment.", errors.New("sql: no rows")))
	if !errors.Is(err, sentinel) {
		t.Fatalf("errors.Is(%v, sentinel) = false", err)
	}
	if errors.Is(err, E(NotFound, "refund_not_found", "")) {
		t.Fatal("matched a different code")
	}
	if KindOf(err) != NotFound || CodeOf(err) != "payment_not_found" {
		t.Fatalf("KindOf/CodeOf = %v/%s", KindOf(err), CodeOf(err))
	}
	if KindOf(errors.New("boom")) != Internal || CodeOf(errors.New("boom")) != "internal" {
		t.Fatal("plain error must be internal")
	}
}
