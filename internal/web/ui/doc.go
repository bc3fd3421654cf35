// Package ui holds the shared pieces of the payer-facing HTML pages, the
// hosted cashier and the account pages: the page language and the
// {zh, en} message tables, amounts and times as payers read them, the
// headers every page response carries, embedded assets served under
// content-hashed URLs, rendering through a buffer, and card-number checks.
//
// Each page package keeps its own message tables, templates, stylesheet and
// Content-Security-Policy: their content differs, only the mechanism is
// here. The package knows nothing of payments or accounts: of paygate it
// imports only the money and errs foundation packages.
package ui
