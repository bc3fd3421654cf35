// Package shop is a small demo shop that takes payments through paygate
// using only the public Go SDK (paygate/sdk): a product page, a checkout
// that creates a payment and sends the buyer to the gateway's cashier, a
// return page, and a notification endpoint that verifies the gateway's
// signature before it marks an order paid.
//
// An order is paid only when a signed payment.succeeded notification for it
// has arrived; the return page alone (which the buyer's browser brings) is
// never trusted for that.
package shop

import (
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"paygate/sdk"
)

//go:embed templates/*.html
var templates embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"yuan": func(fen int64) string { return fmt.Sprintf("%d.%02d", fen/100, fen%100) },
}).ParseFS(templates, "templates/*.html"))

// Product is something the shop sells.
type Product struct {
	SKU   string
	Name  string
	Price int64 // fen
}

// Order is a buyer's order.
type Order struct {
	No        string
	Product   Product
	PaymentID string
	Status    string // unpaid, paid, closed
	PaidAt    time.Time
	EventID   string // the notification that marked it paid
}

// Shop is the demo shop's HTTP handler.
type Shop struct {
	client   *sdk.Client
	baseURL  string
	log      *slog.Logger
	products []Product
	mux      *http.ServeMux

	mu     sync.Mutex
	orders map[string]*Order
	seq    int
}

// New returns the shop at baseURL (how the gateway and browsers reach it),
// paying through client.
func New(client *sdk.Client, baseURL string, log *slog.Logger) *Shop {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Shop{client: client, baseURL: baseURL, log: log, orders: map[string]*Order{}, mux: http.NewServeMux(),
		products: []Product{
			{SKU: "tea", Name: "西湖龙井 Longjing tea, 250 g", Price: 168_00},
			{SKU: "cup", Name: "青瓷茶杯 Celadon tea cup", Price: 88_50},
			{SKU: "set", Name: "茶具套装 Tea set (large order)", Price: 6_800_00},
		}}
	s.mux.HandleFunc("GET /{$}", s.home)
	s.mux.HandleFunc("POST /checkout", s.checkout)
	s.mux.HandleFunc("GET /return", s.returned)
	s.mux.HandleFunc("GET /orders/{no}", s.order)
	s.mux.HandleFunc("POST /notify", s.notify)
	return s
}

// ServeHTTP serves the shop.
func (s *Shop) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Order returns a copy of an order, for tests and the demo.
func (s *Shop) Order(no string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[no]
	if !ok {
		return Order{}, false
	}
	return *o, true
}

func (s *Shop) render(w http.ResponseWriter, name string, status int, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		s.log.Error("render", "page", name, "err", err)
	}
}

func (s *Shop) home(w http.ResponseWriter, r *http.Request) {
	s.render(w, "home.html", http.StatusOK, s.products)
}

func (s *Shop) checkout(w http.ResponseWriter, r *http.Request) {
	var p *Product
	for i := range s.products {
		if s.products[i].SKU == r.FormValue("sku") {
			p = &s.products[i]
		}
	}
	if p == nil {
		s.render(w, "error.html", http.StatusBadRequest, "No such product. 没有这个商品。")
		return
	}
	s.mu.Lock()
	s.seq++
	o := &Order{No: fmt.Sprintf("SHOP-%s-%04d", time.Now().UTC().Format("20060102150405"), s.seq), Product: *p, Status: "unpaid"}
	s.orders[o.No] = o
	s.mu.Unlock()

	pay, err := s.client.CreatePayment(r.Context(), sdk.CreatePaymentParams{
		MerchantOrderNo: o.No, Amount: p.Price, Currency: "CNY", Subject: p.Name,
		NotifyURL: s.baseURL + "/notify", ReturnURL: s.baseURL + "/return", ExpiresIn: 30 * 60,
	}, sdk.IdempotencyKey("checkout-"+o.No))
	if err != nil {
		s.log.Error("create payment", "order", o.No, "err", err)
		s.render(w, "error.html", http.StatusBadGateway, "The payment gateway refused the order: "+err.Error())
		return
	}
	s.mu.Lock()
	o.PaymentID = pay.ID
	s.mu.Unlock()
	http.Redirect(w, r, pay.CashierURL, http.StatusSeeOther)
}

// returned is where the cashier sends the buyer back. The signed
// parameters say which order; whether it is paid comes from our own books.
func (s *Shop) returned(w http.ResponseWriter, r *http.Request) {
	ret, err := s.client.VerifyReturn(r.Context(), r.URL.Query())
	if err != nil {
		s.log.Warn("return with a bad signature", "err", err)
		s.render(w, "error.html", http.StatusBadRequest, "This link is not signed by the payment gateway. 链接签名无效。")
		return
	}
	http.Redirect(w, r, "/orders/"+ret.MerchantOrderNo, http.StatusSeeOther)
}

func (s *Shop) order(w http.ResponseWriter, r *http.Request) {
	o, ok := s.Order(r.PathValue("no"))
	if !ok {
		s.render(w, "error.html", http.StatusNotFound, "No such order. 没有这个订单。")
		return
	}
	s.render(w, "order.html", http.StatusOK, o)
}

// notify applies the gateway's signed notifications, idempotently by event.
func (s *Shop) notify(w http.ResponseWriter, r *http.Request) {
	ev, err := s.client.VerifyNotification(r)
	if err != nil {
		s.log.Warn("notification rejected", "err", err)
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	if ev.Type == sdk.EventPaymentSucceeded || ev.Type == sdk.EventPaymentClosed {
		p, err := ev.Payment()
		if err != nil {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		if o := s.orders[p.MerchantOrderNo]; o != nil && o.Status == "unpaid" {
			switch {
			case ev.Type == sdk.EventPaymentSucceeded && p.Status == "succeeded" && p.Amount == o.Product.Price && p.Currency == "CNY":
				o.Status, o.EventID = "paid", ev.ID
				if p.PaidAt != nil {
					o.PaidAt = *p.PaidAt
				}
			case ev.Type == sdk.EventPaymentClosed:
				o.Status = "closed"
			}
		}
		s.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}
