package notify

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestSafeError(t *testing.T) {
	t.Parallel()
	// wrap mimics the client's *url.Error, whose text holds the URL.
	wrap := func(err error) error {
		return &url.Error{Op: "Post", URL: "https://shop.example/notify?token=s3cret", Err: err}
	}
	dial := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)}
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"Deadline", wrap(context.DeadlineExceeded), "timeout after 10s"},
		{"Refused", wrap(dial(syscall.ECONNREFUSED)), "connection refused"},
		{"Reset", wrap(&net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), "connection closed by receiver"},
		{"EOF", wrap(io.EOF), "connection closed by receiver"},
		{"DNS", wrap(dial(&net.DNSError{Err: "no such host", Name: "shop.example"})), "dns lookup failed"},
		{"UnknownCA", wrap(x509.UnknownAuthorityError{}), "tls certificate rejected"},
		{"Unreachable", wrap(dial(syscall.EHOSTUNREACH)), "host unreachable"},
		{"OtherDial", wrap(dial(errors.New("weird"))), "connect failed"},
		{"Other", wrap(fmt.Errorf("receiver said %q", "secret stuff")), "request failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := safeError(tt.err, 10*time.Second); got != tt.want {
				t.Fatalf("safeError(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}
