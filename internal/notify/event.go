package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"paygate/internal/errs"
)

// Errors returned by the package. Match them with errors.Is.
var (
	ErrInvalidEvent  = errs.E(errs.Invalid, "notify_invalid_event", "The notification event is malformed.")
	ErrEventNotFound = errs.E(errs.NotFound, "event_not_found", "No such event.")
	ErrEventInFlight = errs.E(errs.Conflict, "event_in_flight", "The event is being delivered right now; try again shortly.")
)

// Event is what [Outbox.Enqueue] stores and delivers.
type Event struct {
	MerchantID string // the merchant told, mch_…
	Type       string // e.g. "payment.succeeded", "payment.closed", "refund.succeeded"
	// URL is the destination: the object's notify_url, or else the
	// merchant's default. It must be an absolute http or https URL.
	URL string
	// Data is the full object as the merchant API shows it, so that the
	// merchant can apply the event without calling back. It must marshal to
	// a JSON object; a json.RawMessage is used as is (compacted).
	Data any
}

// State is where an event's delivery stands.
type State string

// Event states.
const (
	// Pending: not yet delivered; due at [Notification.NextAttemptAt].
	Pending State = "pending"
	// Delivered: an attempt got a 2xx answer.
	Delivered State = "delivered"
	// Failed: every scheduled attempt failed; kept for [Outbox.Resend].
	Failed State = "failed"
)

// Notification is a stored event and where its delivery stands.
type Notification struct {
	ID         string // evt_…
	MerchantID string
	Type       string
	URL        string
	Body       []byte // the exact bytes POSTed on every attempt
	State      State
	// NextAttemptAt is when the event is due (or, while an attempt is in
	// flight, when its lease ends); zero unless State is Pending.
	NextAttemptAt time.Time
	LastStatus    int    // HTTP status of the last attempt; 0 if none
	LastError     string // safe error text of the last attempt
	CreatedAt     time.Time
	DeliveredAt   time.Time // the last delivery; zero if never delivered
	FailedAt      time.Time // when the schedule ran out; zero unless Failed
	Attempts      []Attempt // oldest first
}

// Attempt is one delivery attempt of an event.
type Attempt struct {
	EventID  string
	N        int           // 1 for the first attempt of the event, then 2, 3, …
	At       time.Time     // when the request started
	Status   int           // HTTP status; 0 when no response came
	Error    string        // safe text: "" when a response came, else e.g. "timeout"
	Duration time.Duration // whole milliseconds
}

// Delivered reports whether the attempt delivered the event (a 2xx answer).
func (a Attempt) Delivered() bool { return a.Status >= 200 && a.Status <= 299 }

// wireEvent is the JSON body of a notification (DESIGN §4). Field order is
// the wire order.
type wireEvent struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt string          `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// maxField bounds the merchant id and event type.
const maxField = 100

// validate checks ev and returns its data as compact JSON.
func (ev Event) validate() (json.RawMessage, error) {
	switch {
	case ev.MerchantID == "" || len(ev.MerchantID) > maxField:
		return nil, fmt.Errorf("%w: merchant id %q", ErrInvalidEvent, ev.MerchantID)
	case ev.Type == "" || len(ev.Type) > maxField:
		return nil, fmt.Errorf("%w: type %q", ErrInvalidEvent, ev.Type)
	}
	if err := checkURL(ev.URL); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	if ev.Data == nil {
		return nil, fmt.Errorf("%w: no data", ErrInvalidEvent)
	}
	raw, err := marshal(ev.Data)
	if err != nil {
		return nil, fmt.Errorf("%w: data: %w", ErrInvalidEvent, err)
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, fmt.Errorf("%w: data is not a JSON object", ErrInvalidEvent)
	}
	return raw, nil
}

// checkURL accepts absolute http and https URLs with a host.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("url does not parse")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return fmt.Errorf("url must be absolute http(s) without credentials")
	}
	return nil
}

// body builds the wire body of an event.
func body(id, typ string, createdAt time.Time, data json.RawMessage) ([]byte, error) {
	b, err := marshal(wireEvent{ID: id, Type: typ, CreatedAt: createdAt.UTC().Format(time.RFC3339Nano), Data: data})
	if err != nil {
		return nil, fmt.Errorf("encode event body: %w", err)
	}
	return b, nil
}

// marshal is json.Marshal without HTML escaping: merchants get "<" as is.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
