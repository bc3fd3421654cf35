package bank_test

import (
	"context"
	"encoding/hex"
	"net"
	"strings"
	"testing"
	"time"

	"paygate/internal/bank"
	"paygate/internal/bank/hsm"
	"paygate/internal/bank/iso8583"
	"paygate/internal/bank/wire"
	"paygate/internal/banksim"
	"paygate/internal/db/dbtest"
)

// TestSecurityRejections: a wrong MAC, a PIN block under the wrong key and
// a malformed message are refused with the right response code, on the
// bank's side and on ours, and neither side logs the PAN or the PIN.
func TestSecurityRejections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		faults   banksim.Faults
		want     bank.Outcome
		code     string
		simLog   string // what the bank logs
		ourLog   string // what the connector logs
		reversal bool
	}{
		{"BankRejectsWrongMAC", banksim.Faults{MACKeyMismatch: true}, bank.Declined, iso8583.RespMACFailure,
			"MAC does not verify", "", false},
		{"BankRejectsWrongPINKey", banksim.Faults{PINKeyMismatch: true}, bank.Declined, iso8583.RespSecurityViolation,
			"PIN block does not decrypt", "", false},
		{"GatewayRejectsWrongMAC", banksim.Faults{BadResponseMAC: true}, bank.Unknown, bank.ReasonBadMAC,
			"", "MAC does not verify", true},
		{"GatewayRejectsMalformed", banksim.Faults{Corrupt: 1}, bank.Unknown, bank.ReasonMalformed,
			"", "malformed message from bank", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newSim(t, banksim.Faults{})
			ours := &syncBuffer{}
			opts, reversed := reversedChan()
			opts.Logger = newLogger(ours)
			c := start(t, e.config(t, "icbc"), dbtest.NewSQLite(t), opts)
			e.host.SetFaults(tt.faults) // after sign-on, which the faults would spoil
			ctx := context.Background()
			r, err := c.Debit(ctx, bank.Request{PAN: cardOK, PIN: icbcPIN, Amount: cny(12_34)})
			if err != nil || r.Outcome != tt.want || r.ResponseCode != tt.code {
				t.Fatalf("Debit = %+v, %v; want %s %s", r, err, tt.want, tt.code)
			}
			if tt.reversal {
				if r.ReversalID == "" {
					t.Fatal("no reversal queued")
				}
				e.host.SetFaults(banksim.Faults{})
				select {
				case <-reversed:
				case <-time.After(10 * time.Second):
					t.Fatal("reversal never acknowledged")
				}
			}
			if got := e.balance(t, cardOK, "CNY"); got != million {
				t.Fatalf("balance %d, want it untouched", got)
			}
			if !strings.Contains(e.logs.String(), tt.simLog) || !strings.Contains(ours.String(), tt.ourLog) {
				t.Fatalf("want bank log %q and gateway log %q;\nbank:\n%s\ngateway:\n%s", tt.simLog, tt.ourLog, e.logs, ours)
			}
			if tt.simLog != "" && !strings.Contains(e.logs.String(), "622202*********0018") {
				t.Errorf("bank log does not show the masked PAN:\n%s", e.logs)
			}
			for _, logs := range []string{e.logs.String(), ours.String()} {
				assertNoSecrets(t, logs, cardOK, icbcPIN)
			}
		})
	}
}

// TestBankRefusesMalformedAndUnMACed talks to the simulator over a raw
// socket: a message with a trailing byte gets 30, one MACed under the
// wrong key A0, and the bank logs neither PAN nor PIN.
func TestBankRefusesMalformedAndUnMACed(t *testing.T) {
	t.Parallel()
	e := newSim(t, banksim.Faults{})
	d := mustDialect(t, "icbc")
	conn, err := net.DialTimeout("tcp", e.host.Addr("icbc"), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	roundTrip := func(raw []byte) *iso8583.Message {
		t.Helper()
		if _, err := wire.WriteFrame(conn, raw); err != nil {
			t.Fatal(err)
		}
		back, err := wire.ReadFrame(conn)
		if err != nil {
			t.Fatal(err)
		}
		m, err := iso8583.Unpack(d, back)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	signOn := iso8583.NewMessage(d)
	_ = signOn.SetMTI("0800")
	_ = signOn.Set(iso8583.FieldSTAN, "000001")
	_ = signOn.Set(iso8583.FieldNetworkCode, iso8583.NetSignOn)
	raw, _ := iso8583.Pack(signOn)
	keys, err := wire.ParseKeyExchange(e.zmk["icbc"], roundTrip(raw).Get(iso8583.FieldAdditionalData))
	if err != nil {
		t.Fatal(err)
	}
	debit := func(stan string) *iso8583.Message {
		m := iso8583.NewMessage(d)
		pb, _ := hsm.EncryptPINBlock0(keys.ZPK, icbcPIN, cardOK)
		for id, v := range map[int]string{2: cardOK, 3: "000000", 4: "100", 7: "1125120000", 11: stan, 32: "48020000",
			37: "633004" + stan, 41: "PG000001", 42: "PAYGATE00000001", 49: "156", 52: hex.EncodeToString(pb)} {
			if err := m.Set(id, v); err != nil {
				t.Fatal(err)
			}
		}
		_ = m.SetMTI("0200")
		return m
	}
	sealed, err := wire.Seal(debit("000002"), hsm.AlgX919, keys.ZAK)
	if err != nil {
		t.Fatal(err)
	}
	resp := roundTrip(append(sealed, 0x00))
	if resp.MTI() != "0210" || resp.Get(iso8583.FieldResponseCode) != iso8583.RespFormatError || resp.Get(iso8583.FieldSTAN) != "000002" {
		t.Fatalf("malformed request answered %s", resp)
	}
	wrong, _ := hsm.NewKey(hsm.TDES2, nil)
	sealed, _ = wire.Seal(debit("000003"), hsm.AlgX919, wrong)
	resp = roundTrip(sealed)
	if resp.Get(iso8583.FieldResponseCode) != iso8583.RespMACFailure {
		t.Fatalf("wrongly MACed request answered %s", resp)
	}
	if got := e.balance(t, cardOK, "CNY"); got != million {
		t.Fatalf("balance %d, want untouched", got)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "malformed request refused") || !strings.Contains(logs, "MAC does not verify") {
		t.Fatalf("bank log:\n%s", logs)
	}
	assertNoSecrets(t, logs, cardOK, icbcPIN)
}
