package iso8583_test

import (
	"fmt"

	"paygate/internal/bank/iso8583"
)

// A connector builds a message by field number, packs it, and reads the
// response with Unpack; logs get the masked form.
func Example() {
	d, err := iso8583.Lookup("cmb")
	if err != nil {
		panic(err)
	}
	m := iso8583.NewMessage(d)
	_ = m.SetMTI(iso8583.MTINetwork)
	_ = m.Set(iso8583.FieldTransmissionTime, "0102030405")
	_ = m.Set(iso8583.FieldSTAN, "1") // padded to 000001
	_ = m.Set(iso8583.FieldNetworkCode, iso8583.NetSignOn)
	packed, err := iso8583.Pack(m)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%X\n", packed)

	reply := iso8583.NewMessage(d)
	_ = reply.SetMTI(iso8583.MTINetworkResponse)
	_ = reply.Set(iso8583.FieldPAN, "4761739001010119")
	_ = reply.Set(iso8583.FieldResponseCode, iso8583.RespApproved)
	b, _ := iso8583.Pack(reply)
	got, err := iso8583.Unpack(d, b)
	if err != nil {
		panic(err)
	}
	fmt.Println(got, "|", iso8583.ResponseText(got.Get(iso8583.FieldResponseCode)))
	// Output:
	// 303830308220000000000000040000000000000030313032303330343035303030303031303031
	// 0810 2=476173******0119 39=00 | approved
}
