package iso8583

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestDescribeMasks renders a message full of secrets every way a log line
// could be produced and checks that no secret shows.
func TestDescribeMasks(t *testing.T) {
	t.Parallel()
	const (
		pan    = "6222021234567890123"
		track2 = pan + "=2512101987654321"
		pin    = "AC0708A3C923D34D"
		mac    = "FE3FDD9827F1849B"
		mac2   = "0123456789ABCDEF"
	)
	secrets := []string{pan, "2512101987654321", pin, mac, mac2, "FD7AF640961CDB8B5CCFBE13B358FE6E", "0A1B2C3D"}
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := mustLookup(t, name)
			m := mustBuild(t, d, example{mti: MTIPurchase, fields: []fieldValue{
				{FieldPAN, pan}, {FieldTrack2, track2}, {FieldPINBlock, pin}, {FieldMAC, mac},
				{FieldAdditionalData, keyChange48}, {FieldAmount, "12345"},
			}})
			m2 := mustBuild(t, d, example{mti: MTINetwork, fields: []fieldValue{{FieldNetworkCode, NetKeyChange}, {FieldMAC2, mac2}}})

			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, nil))
			logger.Info("sent", "msg", m, "msg2", m2, "value", *m)
			outputs := map[string]string{
				"Describe":   Describe(m) + Describe(m2),
				"String":     m.String() + m2.String(),
				"PrintValue": fmt.Sprint(*m) + fmt.Sprintf("%v %+v %#v %s", m, *m, *m, m2),
				"slog":       logs.String(),
			}
			for how, out := range outputs {
				for _, s := range secrets {
					if strings.Contains(strings.ToUpper(out), s) {
						t.Errorf("%s shows %q:\n%s", how, s, out)
					}
				}
			}
			for _, want := range []string{"622202*********0123", "000000012345", "ZPK", "[8 bytes hidden]"} {
				if !strings.Contains(outputs["Describe"], want) {
					t.Errorf("Describe lacks %q:\n%s", want, outputs["Describe"])
				}
			}
			if !strings.Contains(outputs["slog"], `"de2":"622202*********0123"`) {
				t.Errorf("slog output lacks the masked PAN: %s", outputs["slog"])
			}
		})
	}
}

func TestMaskValue(t *testing.T) {
	t.Parallel()
	pan := &FieldSpec{Number: FieldPAN, Type: TypeN}
	track := &FieldSpec{Number: FieldTrack2, Type: TypeZ}
	keys := &FieldSpec{Number: FieldAdditionalData, Type: TypeANS}
	hidden := &FieldSpec{Number: FieldPINBlock, Type: TypeB}
	text := &FieldSpec{Number: 43, Type: TypeANS, Mask: MaskHidden}
	clear := &FieldSpec{Number: FieldAmount, Type: TypeN}
	tests := []struct {
		fs   *FieldSpec
		in   string
		want string
	}{
		{pan, "4761739001010119", "476173******0119"},
		{pan, "47617390010", "476173*0010"},
		{pan, "4761739001", "**********"},
		{pan, "", ""},
		{track, "4761739001010119=2512101", "476173******0119=*******"},
		{track, "4761739001010119D25", "476173******0119=**"},
		{track, "4761739001010119", "476173******0119"},
		{keys, "ZPK0123456789ABCDEF", "ZPK****************"},
		{keys, "ZAK 1234567 KCV 123456", "ZAK 1234567 KCV 123456"},
		{keys, "TAG=deadbeef12;", "TAG=**********;"},
		{hidden, "0102030405060708", "[8 bytes hidden]"},
		{text, "SHOP", "[4 chars hidden]"},
		{clear, "000000012345", "000000012345"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := maskValue(tt.fs, tt.in); got != tt.want {
				t.Fatalf("maskValue(%d, %q) = %q, want %q", tt.fs.Number, tt.in, got, tt.want)
			}
		})
	}
}
