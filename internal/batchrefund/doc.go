// Package batchrefund is the refund sheet (MISSION K8): an enterprise
// uploads a sheet of refunds (XLSX or CSV: merchant order number and refund
// amount required, refund number and reason optional); every line is
// checked first and reported without moving money; on confirmation the
// good lines become pending refunds that the payment service's refund
// worker carries out, and the sheet's progress and results can be read
// line by line.
//
// Invariants:
//   - Validating a sheet moves nothing: it reads payments and refunds and
//     writes only the batch and its lines, in one transaction.
//   - A merchant sees only its own batches, and a line naming another
//     merchant's order reads exactly like an unknown order.
//   - Every refund of a batch carries the batch id and a merchant refund
//     number (the line's own, or "<batch id>-<line no>"), so confirming a
//     batch twice, or resuming an interrupted confirmation, never creates a
//     refund twice.
//   - The lines of one payment are checked in sheet order against what is
//     left to refund, so together they never exceed it; the payment service
//     checks each refund again under the payment's lock when it is created.
package batchrefund
