package main

import (
	"strings"

	"paygate/internal/batchrefund"
	"paygate/internal/staff"
	"paygate/internal/web/portal"
)

// newPortal wires the merchant portal and what only it uses: the staff
// service and the refund sheets, whose confirmations wake the refund
// worker.
func (g *gateway) newPortal(a *app) *portal.Handler {
	g.staff = staff.NewService(g.db, staff.Options{Logger: a.log, IDs: g.ids})
	g.batches = batchrefund.New(g.db, g.payments, batchrefund.Options{Logger: a.log, IDs: g.ids, WakeFunc: g.payments.WakeRefunds})
	return portal.New(portal.Deps{
		Staff: g.staff, Payments: g.payments, Notifications: g.outbox, Merchants: g.merchants, Batches: g.batches,
		Sessions:    portal.NewSessions(g.sessions, strings.HasPrefix(g.publicURL, "https://")),
		GatewayKeys: g.keys.PublicKeys, Logger: a.log,
	})
}
