package staff

import (
	"fmt"
	"time"

	"paygate/internal/account"
	"paygate/internal/errs"
)

// PrefixStaff names staff ids: stf_….
const PrefixStaff = "stf"

// Role is what a staff member may do in the portal.
type Role string

// The roles.
const (
	Admin   Role = "admin"   // everything
	Finance Role = "finance" // refunds, refund sheets, exports; no key or settings changes
	Viewer  Role = "viewer"  // read only: search, detail, export
)

// Roles are every role, most powerful first.
var Roles = []Role{Admin, Finance, Viewer}

// ParseRole returns the role named s. Errors: [ErrRoleInvalid].
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case Admin, Finance, Viewer:
		return r, nil
	}
	return "", ErrRoleInvalid
}

// Action is something a role may be allowed to do.
type Action string

// The actions the portal checks.
const (
	ViewPayments   Action = "view_payments"   // search, detail, notifications, keys and settings as read
	ExportPayments Action = "export_payments" // CSV and XLSX exports
	Refund         Action = "refund"          // single refunds
	BatchRefund    Action = "batch_refund"    // refund sheets: upload, confirm, discard
	Resend         Action = "resend"          // resend a notification
	ManageKeys     Action = "manage_keys"     // upload the merchant's public keys
	ChangeSettings Action = "change_settings" // the notify URL
)

// grants is the whole permission table.
var grants = map[Role]map[Action]bool{
	Admin: {ViewPayments: true, ExportPayments: true, Refund: true, BatchRefund: true, Resend: true, ManageKeys: true,
		ChangeSettings: true},
	Finance: {ViewPayments: true, ExportPayments: true, Refund: true, BatchRefund: true, Resend: true},
	Viewer:  {ViewPayments: true, ExportPayments: true},
}

// Can reports whether role r may do a. An unknown role may do nothing.
func (r Role) Can(a Action) bool { return grants[r][a] }

// Check is [Role.Can] as an error: nil, or [ErrForbidden] naming the role.
func (r Role) Check(a Action) error {
	if r.Can(a) {
		return nil
	}
	return errs.E(errs.Forbidden, ErrForbidden.Code, fmt.Sprintf("Your role (%s) does not allow this.", r))
}

// Member is one staff member of a merchant.
type Member struct {
	ID          string // stf_…
	MerchantID  string
	Email       string
	Role        Role
	LockedUntil *time.Time // set while log-in is blocked
	CreatedAt   time.Time
	LastLoginAt *time.Time
}

// String describes m for logs: its id, merchant and role, never the email.
func (m Member) String() string { return fmt.Sprintf("%s(%s,%s)", m.ID, m.MerchantID, m.Role) }

// Errors, with their stable codes. Messages are safe to show.
var (
	// ErrBadCredentials is an unknown email or a wrong password, told
	// apart by nobody.
	ErrBadCredentials = account.ErrBadCredentials
	ErrLocked         = errs.E(errs.Forbidden, "staff_locked", "Too many failed log-in attempts: log-in is blocked for this user for a while. Try again later, or ask your administrator.")
	ErrNotFound       = errs.E(errs.NotFound, "staff_not_found", "No such staff member.")
	ErrEmailTaken     = errs.E(errs.Conflict, "staff_email_taken", "This email already logs in to the merchant portal.")
	ErrRoleInvalid    = errs.E(errs.Invalid, "staff_role_invalid", "The role must be admin, finance or viewer.")
	ErrForbidden      = errs.E(errs.Forbidden, "staff_forbidden", "Your role does not allow this.")
)
