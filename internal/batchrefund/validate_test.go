package batchrefund

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"paygate/internal/money"
	"paygate/internal/payment"
)

// TestCheck runs the line checks on payments given by hand: every problem
// code that needs no database, and that lines of one payment are summed in
// sheet order.
func TestCheck(t *testing.T) {
	t.Parallel()
	cny := func(minor int64) money.Amount { return money.New(minor, money.CNY) }
	paid := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	pay := func(id string, status payment.Status, amount money.Amount) payment.Payment {
		return payment.Payment{ID: id, Status: status, Amount: amount, PaidAt: &paid}
	}
	orders := func() map[string]*order {
		return map[string]*order{
			"A":   {pay: pay("pay_a", payment.Succeeded, cny(100_00)), found: true, left: cny(100_00), open: true, used: map[string]bool{"USED": true}},
			"B":   {pay: pay("pay_b", payment.Succeeded, cny(50_00)), found: true, left: cny(20_00), open: true},
			"OLD": {pay: pay("pay_old", payment.Succeeded, cny(10_00)), found: true, left: cny(10_00), open: false},
			"NEW": {pay: pay("pay_new", payment.Created, cny(10_00)), found: true},
			"USD": {pay: pay("pay_usd", payment.Succeeded, money.New(10_00, money.USD)), found: true, left: money.New(10_00, money.USD), open: true},
			"JPY": {pay: pay("pay_jpy", payment.Succeeded, money.New(1000, money.JPY)), found: true, left: money.New(1000, money.JPY), open: true},
			"NO":  {},
		}
	}
	type line struct{ order, amount, refundNo, reason string }
	tests := []struct {
		name  string
		lines []line
		want  []string // problem per line
		total money.Amount
	}{
		{"Good", []line{{"A", "12.34", "", ""}, {"B", "20", "", ""}}, []string{"", ""}, cny(32_34)},
		{"Cumulative", []line{{"A", "60", "", ""}, {"A", "30", "", ""}, {"A", "10.01", "", ""}, {"A", "10", "", ""}},
			[]string{"", "", ProblemAmountExceeds, ""}, cny(100_00)},
		{"Duplicate", []line{{"A", "10", "", ""}, {"A", "10.00", "", ""}, {"A", "10", "R1", ""}, {"A", "10", "R1", ""}},
			[]string{"", ProblemDuplicateLine, "", ProblemDuplicateLine}, cny(20_00)},
		{"RefundNoUsed", []line{{"A", "1", "USED", ""}, {"A", "1", "R1", ""}, {"A", "2", "R1", ""}, {"B", "2", "R1", ""}},
			[]string{ProblemRefundNoUsed, "", ProblemRefundNoUsed, ""}, cny(3_00)},
		{"NotFound", []line{{"NO", "1", "", ""}}, []string{ProblemOrderNotFound}, cny(0)},
		{"Window", []line{{"OLD", "1", "", ""}}, []string{ProblemWindowPassed}, cny(0)},
		{"NotSucceeded", []line{{"NEW", "1", "", ""}}, []string{ProblemNotRefundable}, cny(0)},
		{"Currency", []line{{"A", "1", "", ""}, {"USD", "1", "", ""}}, []string{"", ProblemCurrencyMismatch}, cny(1_00)},
		{"CurrencyOfFirstGoodLine", []line{{"NO", "1", "", ""}, {"USD", "1", "", ""}, {"A", "1", "", ""}},
			[]string{ProblemOrderNotFound, "", ProblemCurrencyMismatch}, money.New(1_00, money.USD)},
		{"Decimals", []line{{"A", "1.234", "", ""}, {"JPY", "1.5", "", ""}}, []string{ProblemAmountMalformed, ProblemAmountMalformed}, cny(0)},
		{"Prechecks", []line{{"", "1", "", ""}, {"A", "-1", "", ""}, {"A", "0", "", ""}, {"A", "x", "", ""},
			{"A", "1", "R 1", ""}, {"A", "1", "", strings.Repeat("长", 257)}},
			[]string{ProblemMissingOrder, ProblemAmountNotPositive, ProblemAmountNotPositive, ProblemAmountMalformed,
				ProblemRefundNoInvalid, ProblemReasonTooLong}, cny(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var lines []Line
			for i, l := range tt.lines {
				lines = append(lines, Line{No: i + 2, MerchantOrderNo: l.order, AmountText: l.amount, MerchantRefundNo: l.refundNo, Reason: l.reason})
			}
			decs := precheck(lines)
			total, err := check(lines, decs, orders())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range lines {
				got = append(got, l.Problem)
				if (l.Problem == "") == (l.Message != "") {
					t.Errorf("line %d: problem %q with message %q", l.No, l.Problem, l.Message)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if total != tt.total {
				t.Errorf("total %v, want %v", total, tt.total)
			}
		})
	}
}

// TestCheckMessages: the messages say what a merchant needs to fix a line.
func TestCheckMessages(t *testing.T) {
	t.Parallel()
	paid := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	o := map[string]*order{
		"A":   {pay: payment.Payment{ID: "pay_a", Status: payment.Succeeded, Amount: money.New(100_00, money.CNY)}, found: true, left: money.New(100_00, money.CNY), open: true},
		"OLD": {pay: payment.Payment{ID: "pay_old", Status: payment.Succeeded, Amount: money.New(1_00, money.CNY), PaidAt: &paid}, found: true, left: money.New(1_00, money.CNY)},
	}
	lines := []Line{
		{No: 2, MerchantOrderNo: "A", AmountText: "70"},
		{No: 3, MerchantOrderNo: "A", AmountText: "40"},
		{No: 4, MerchantOrderNo: "OLD", AmountText: "1"},
		{No: 5, MerchantOrderNo: "A", AmountText: "0.001"},
	}
	if _, err := check(lines, precheck(lines), o); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{
		"",
		"Refund 40.00 CNY is more than the 30.00 CNY left to refund on this order after the earlier lines of this sheet for it (lines 2).",
		"The payment succeeded too long ago to be refunded (it succeeded on 2026-01-02).",
		"0.001 has more decimal places than CNY allows (2).",
	} {
		if got := lines[i].Message; got != want {
			t.Errorf("line %d: message %q, want %q", lines[i].No, got, want)
		}
	}
}
