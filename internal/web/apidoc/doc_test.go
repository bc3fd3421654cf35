package apidoc

import (
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"paygate/internal/auth"
	"paygate/internal/errs"
	"paygate/internal/notify"
	"paygate/internal/payment"
)

// root is the module root, from this package's directory.
const root = "../../.."

func loadDoc(t *testing.T) map[string]any {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(Document(), &d); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	return d
}

// at walks a parsed JSON value by keys.
func at(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%v: not an object at %q", keys, k)
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("%v: no %q", keys, k)
		}
	}
	return v
}

func TestOpenAPIVersion(t *testing.T) {
	d := loadDoc(t)
	v, _ := d["openapi"].(string)
	if !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		t.Fatalf("openapi = %q, want 3.1.x", v)
	}
	for _, k := range []string{"info", "paths", "webhooks", "components"} {
		if _, ok := d[k]; !ok {
			t.Errorf("document has no %q", k)
		}
	}
}

// TestEveryRefResolves: every "$ref" in the document points at something.
func TestEveryRefResolves(t *testing.T) {
	d := loadDoc(t)
	var walk func(v any, where string)
	walk = func(v any, where string) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k == "$ref" {
					ref, _ := x.(string)
					if !strings.HasPrefix(ref, "#/") {
						t.Errorf("%s: $ref %q is not local", where, ref)
						continue
					}
					var cur any = d
					for _, part := range strings.Split(ref[2:], "/") {
						m, ok := cur.(map[string]any)
						if !ok {
							cur = nil
							break
						}
						cur = m[part]
					}
					if cur == nil {
						t.Errorf("%s: $ref %q does not resolve", where, ref)
					}
					continue
				}
				walk(x, where+"/"+k)
			}
		case []any:
			for i, x := range v {
				walk(x, where+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(d, "#")
}

// routes parses the mux.Handle("METHOD /path" lines of the API's routes.go.
func routes(t *testing.T) [][2]string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, "internal/web/api/routes.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	for _, m := range regexp.MustCompile(`mux\.Handle(?:Func)?\("([A-Z]+) (/[^"]*)"`).FindAllStringSubmatch(string(src), -1) {
		out = append(out, [2]string{m[1], m[2]})
	}
	if len(out) < 5 {
		t.Fatalf("found only %d routes in routes.go: %v", len(out), out)
	}
	return out
}

func TestEveryRouteDocumented(t *testing.T) {
	d := loadDoc(t)
	paths := at(t, d, "paths").(map[string]any)
	registered := map[string]bool{}
	for _, r := range routes(t) {
		method, path := strings.ToLower(r[0]), r[1]
		registered[method+" "+path] = true
		ops, ok := paths[path].(map[string]any)
		if !ok {
			t.Errorf("route %s %s: path not in openapi.json", r[0], path)
			continue
		}
		if _, ok := ops[method]; !ok {
			t.Errorf("route %s %s: method not in openapi.json", r[0], path)
		}
	}
	// And nothing is documented that is not served.
	for path, ops := range paths {
		for method := range ops.(map[string]any) {
			if !registered[method+" "+path] {
				t.Errorf("openapi.json documents %s %s, which routes.go does not register", strings.ToUpper(method), path)
			}
		}
	}
}

type codeKind struct {
	code   string
	status int
}

// sourceCodes collects every errs.E / errs.Wrap code under internal/ with
// the HTTP status of its kind, and the literal "internal" code.
func sourceCodes(t *testing.T) map[codeKind][]string {
	t.Helper()
	kinds := map[string]errs.Kind{
		"Internal": errs.Internal, "Invalid": errs.Invalid, "Unauthorized": errs.Unauthorized, "Forbidden": errs.Forbidden,
		"NotFound": errs.NotFound, "Conflict": errs.Conflict, "Unprocessable": errs.Unprocessable, "Unavailable": errs.Unavailable,
	}
	re := regexp.MustCompile(`errs\.(?:E|Wrap)\(\s*errs\.(\w+),\s*"([a-z0-9_]+)"`)
	literal := regexp.MustCompile(`"code":"([a-z0-9_]+)"`)
	out := map[codeKind][]string{}
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			k, ok := kinds[m[1]]
			if !ok {
				t.Errorf("%s: unknown errs kind %q", rel, m[1])
				continue
			}
			ck := codeKind{m[2], k.HTTPStatus()}
			out[ck] = append(out[ck], rel)
		}
		// Hand-written error bodies ({"error":{"code":"internal",…}}) are 500s.
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			ck := codeKind{m[1], 500}
			out[ck] = append(out[ck], rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 30 {
		t.Fatalf("found only %d error codes in the sources", len(out))
	}
	return out
}

func docCodes(t *testing.T) []errorCode {
	t.Helper()
	var d struct {
		Codes []errorCode `json:"x-paygate-error-codes"`
	}
	if err := json.Unmarshal(Document(), &d); err != nil {
		t.Fatal(err)
	}
	return d.Codes
}

// TestErrorCodesMatchSources: the doc's table lists exactly the codes the
// code can return, each with its HTTP status, so the doc cannot drift.
func TestErrorCodesMatchSources(t *testing.T) {
	src := sourceCodes(t)
	doc := map[codeKind]errorCode{}
	for _, c := range docCodes(t) {
		k := codeKind{c.Code, c.Status}
		if _, dup := doc[k]; dup {
			t.Errorf("error code %s (%d) listed twice", c.Code, c.Status)
		}
		if c.Meaning == "" || c.Source == "" {
			t.Errorf("error code %s: no meaning or source", c.Code)
		}
		doc[k] = c
	}
	for k, files := range src {
		if _, ok := doc[k]; !ok {
			t.Errorf("error code %q (HTTP %d, in %s) is not in openapi.json's x-paygate-error-codes", k.code, k.status, strings.Join(files, ", "))
		}
	}
	for k := range doc {
		if _, ok := src[k]; !ok {
			t.Errorf("openapi.json lists error code %q (HTTP %d), which no source returns", k.code, k.status)
		}
	}
}

// structTags returns the json names of a struct type's fields in file
// (nested by field for anonymous struct fields: "Error.code"), and which are
// omitempty.
func structTags(t *testing.T, file, typeName string) (names []string, omitempty map[string]bool, types map[string]ast.Expr) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, file), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	omitempty, types = map[string]bool{}, map[string]ast.Expr{}
	var st *ast.StructType
	ast.Inspect(f, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TypeSpec); ok && ts.Name.Name == typeName {
			st, _ = ts.Type.(*ast.StructType)
			return false
		}
		return true
	})
	if st == nil {
		t.Fatalf("%s: no struct %s", file, typeName)
	}
	for _, fld := range st.Fields.List {
		if fld.Tag == nil {
			continue
		}
		tag, _ := strconv.Unquote(fld.Tag.Value)
		js, ok := reflect.StructTag(tag).Lookup("json")
		if !ok || js == "-" {
			continue
		}
		name, opts, _ := strings.Cut(js, ",")
		names = append(names, name)
		omitempty[name] = slices.Contains(strings.Split(opts, ","), "omitempty")
		types[name] = fld.Type
	}
	return names, omitempty, types
}

func schemaOf(t *testing.T, name string) map[string]any {
	t.Helper()
	return at(t, loadDoc(t), "components", "schemas", name).(map[string]any)
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	sort.Strings(out)
	return out
}

// jsonType is the JSON Schema type of a Go field type.
func jsonType(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return jsonType(e.X)
	case *ast.ArrayType:
		return "array"
	case *ast.SelectorExpr:
		if e.Sel.Name == "Time" {
			return "string"
		}
		if e.Sel.Name == "RawMessage" {
			return "object"
		}
	case *ast.Ident:
		switch e.Name {
		case "string", "SignType":
			return "string"
		case "int", "int64", "int32":
			return "integer"
		case "bool":
			return "boolean"
		}
		if strings.HasSuffix(e.Name, "JSON") {
			return "object"
		}
	case *ast.StructType:
		return "object"
	}
	return "?"
}

// TestSchemasMatchStructs: each schema's properties are exactly the json
// tags of the Go struct the API encodes or decodes, with matching types;
// in responses, fields without omitempty are required.
func TestSchemasMatchStructs(t *testing.T) {
	tests := []struct {
		schema, file, typ string
		response          bool
	}{
		{"Payment", "internal/web/api/payments.go", "paymentJSON", true},
		{"CreatePaymentRequest", "internal/web/api/payments.go", "createPaymentRequest", false},
		{"PaymentList", "internal/web/api/payments.go", "listJSON", true},
		{"Error", "internal/web/api/respond.go", "errorBody", true},
		{"GatewayKey", "internal/auth/gateway.go", "PublicKeyInfo", true},
		{"Event", "internal/notify/event.go", "wireEvent", true},
	}
	for _, tt := range tests {
		t.Run(tt.schema, func(t *testing.T) {
			names, omit, types := structTags(t, tt.file, tt.typ)
			s := schemaOf(t, tt.schema)
			props := at(t, s, "properties").(map[string]any)
			sort.Strings(names)
			if got := keys(props); !slices.Equal(got, names) {
				t.Errorf("%s properties = %v, want the json tags of %s.%s: %v", tt.schema, got, tt.file, tt.typ, names)
			}
			for _, n := range names {
				p, ok := props[n].(map[string]any)
				if !ok {
					continue
				}
				want := jsonType(types[n])
				if _, isRef := p["$ref"]; isRef {
					if want != "object" && want != "string" { // $ref to an object or to a string enum
						t.Errorf("%s.%s is a $ref, but the Go type is %s", tt.schema, n, want)
					}
					continue
				}
				if got, _ := p["type"].(string); got != want {
					t.Errorf("%s.%s type = %q, want %q", tt.schema, n, got, want)
				}
			}
			if tt.response {
				var want []string
				for _, n := range names {
					if !omit[n] {
						want = append(want, n)
					}
				}
				if got := strs(s["required"]); !slices.Equal(got, want) {
					t.Errorf("%s required = %v, want the fields without omitempty: %v", tt.schema, got, want)
				}
			} else if req, ok := s["required"]; ok {
				for _, n := range strs(req) {
					if !slices.Contains(names, n) {
						t.Errorf("%s requires %q, which is no field", tt.schema, n)
					}
				}
			}
		})
	}
	// The nested error object.
	names, _, _ := func() ([]string, map[string]bool, map[string]ast.Expr) {
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, "internal/web/api/respond.go"), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		ast.Inspect(f, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TypeSpec); ok && ts.Name.Name == "errorBody" {
				inner := ts.Type.(*ast.StructType).Fields.List[0].Type.(*ast.StructType)
				for _, fld := range inner.Fields.List {
					tag, _ := strconv.Unquote(fld.Tag.Value)
					name, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
					out = append(out, name)
				}
			}
			return true
		})
		return out, nil, nil
	}()
	sort.Strings(names)
	detail := schemaOf(t, "ErrorDetail")
	if got := keys(detail["properties"].(map[string]any)); !slices.Equal(got, names) || !slices.Equal(strs(detail["required"]), names) {
		t.Errorf("ErrorDetail properties = %v, want %v (all required)", got, names)
	}
}

func TestStatusEnum(t *testing.T) {
	want := []string{string(payment.Closed), string(payment.Created), string(payment.Processing), string(payment.Succeeded)}
	if got := strs(schemaOf(t, "PaymentStatus")["enum"]); !slices.Equal(got, want) {
		t.Errorf("PaymentStatus enum = %v, want %v", got, want)
	}
}

func TestWebhooks(t *testing.T) {
	d := loadDoc(t)
	hooks := at(t, d, "webhooks").(map[string]any)
	for _, typ := range []string{"payment.succeeded", "payment.closed"} {
		if _, ok := at(t, hooks, typ).(map[string]any)["post"]; !ok {
			t.Errorf("webhook %s has no post", typ)
		}
	}
	var sched struct {
		S struct {
			Delays []int `json:"delays_seconds"`
		} `json:"x-paygate-retry-schedule"`
	}
	if err := json.Unmarshal(Document(), &sched); err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, d := range notify.DefaultSchedule() {
		want = append(want, int(d/time.Second))
	}
	if !slices.Equal(sched.S.Delays, want) {
		t.Errorf("retry schedule = %v s, want notify.DefaultSchedule() = %v s", sched.S.Delays, want)
	}
}

// TestSigningExample re-signs the worked example: its string-to-sign is
// auth.CanonicalRequest of its parts and its signature verifies and is the
// one the example key makes.
func TestSigningExample(t *testing.T) {
	var d struct {
		Ex signingExample `json:"x-paygate-signing-example"`
	}
	if err := json.Unmarshal(Document(), &d); err != nil {
		t.Fatal(err)
	}
	ex := d.Ex
	msg := auth.CanonicalRequest(ex.Method, ex.PathAndQuery, ex.Timestamp, ex.Nonce, []byte(ex.Body))
	if string(msg) != ex.StringToSign {
		t.Errorf("string_to_sign = %q, want %q", ex.StringToSign, msg)
	}
	seed, err := hex.DecodeString(ex.PrivateKeySeed)
	if err != nil || len(seed) != ed25519.SeedSize {
		t.Fatalf("private_key_seed_hex is not a 32-byte hex seed: %v", err)
	}
	signer := crypto.Signer(ed25519.NewKeyFromSeed(seed))
	sig, err := signer.Sign(nil, msg, crypto.Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.StdEncoding.EncodeToString(sig); got != ex.Signature {
		t.Errorf("signature = %s, want %s", ex.Signature, got)
	}
	pubBlock, _ := pem.Decode([]byte(ex.PublicKeyPEM))
	der, _ := x509.MarshalPKIXPublicKey(signer.Public())
	if pubBlock == nil || string(pubBlock.Bytes) != string(der) {
		t.Error("public_key_pem is not the public half of private_key_seed_hex")
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(ex.Body), &body); err != nil {
		t.Errorf("example body is not JSON: %v", err)
	}
	if ex.SignType != string(auth.ED25519) {
		t.Errorf("sign_type = %q", ex.SignType)
	}
}
