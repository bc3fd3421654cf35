// Package ui holds the shared pieces of paygate's HTML pages, the hosted
// cashier, the account pages and the merchant portal: the page language
// and the {zh, en} message tables, amounts and times as people read them,
// typed amounts as people write them, the headers every page response
// carries, embedded assets served under content-hashed URLs, rendering
// through a buffer, the session-bound form token that every POST of a
// session page carries, spreadsheet-safe text cells, and card-number
// checks.
//
// Each page package keeps its own message tables, templates, stylesheet and
// Content-Security-Policy: their content differs, only the mechanism is
// here. The package knows nothing of payments or accounts: of paygate it
// imports only the money and errs foundation packages.
package ui
