package apidoc

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The view model of the reference page, built from the document.
type (
	view struct {
		Title, Version, Summary string
		Description             []block
		Signing, GatewaySigning []block
		Example                 signingExample
		RawRequest              string
		Endpoints               []endpoint
		Webhooks                []endpoint
		Schemas                 []schema
		Errors                  []errorCode
		Retry                   retrySchedule
		ReturnURL               returnURL
	}
	block struct {
		Pre  bool
		Text string
	}
	endpoint struct {
		Anchor, Method, Path, Summary string
		Description                   []block
		Signed                        bool // needs a merchant signature
		Params                        []param
		Body                          string // schema name of the request body
		Responses                     []response
	}
	param struct {
		Name, In, Type, Description string
		Required                    bool
	}
	response struct {
		Status, Description, Schema string
		Headers                     []string
	}
	schema struct {
		Name, Type  string
		Description []block
		Enum        []string
		Props       []prop
	}
	prop struct {
		Name, Type, Description string
		Required                bool
	}
	errorCode struct {
		Code    string `json:"code"`
		Status  int    `json:"status"`
		Source  string `json:"source"`
		Meaning string `json:"meaning"`
	}
	retrySchedule struct {
		Description    string   `json:"description"`
		TimeoutSeconds int      `json:"timeout_seconds"`
		DelaysSeconds  []int    `json:"delays_seconds"`
		Delays         []string `json:"delays"`
	}
	returnURL struct {
		Description string   `json:"description"`
		Parameters  []string `json:"parameters"`
	}
	signingExample struct {
		Description    string `json:"description"`
		Merchant       string `json:"merchant"`
		SignType       string `json:"sign_type"`
		PrivateKeySeed string `json:"private_key_seed_hex"` // Ed25519 seed (RFC 8032), hex
		PublicKeyPEM   string `json:"public_key_pem"`
		Method         string `json:"method"`
		PathAndQuery   string `json:"path_and_query"`
		Timestamp      string `json:"timestamp"`
		Nonce          string `json:"nonce"`
		IdempotencyKey string `json:"idempotency_key"`
		Body           string `json:"body"`
		StringToSign   string `json:"string_to_sign"`
		Signature      string `json:"signature"`
	}
)

// The parts of the document the page reads.
type (
	docRoot struct {
		OpenAPI string `json:"openapi"`
		Info    struct {
			Title       string `json:"title"`
			Version     string `json:"version"`
			Summary     string `json:"summary"`
			Description string `json:"description"`
		} `json:"info"`
		Paths      map[string]map[string]docOperation `json:"paths"`
		Webhooks   map[string]map[string]docOperation `json:"webhooks"`
		Components struct {
			SecuritySchemes map[string]struct {
				Description string `json:"description"`
			} `json:"securitySchemes"`
			Parameters    map[string]docParam    `json:"parameters"`
			Responses     map[string]docResponse `json:"responses"`
			RequestBodies map[string]docBody     `json:"requestBodies"`
			Schemas       map[string]*docSchema  `json:"schemas"`
		} `json:"components"`
		Retry      retrySchedule  `json:"x-paygate-retry-schedule"`
		Example    signingExample `json:"x-paygate-signing-example"`
		ReturnURL  returnURL      `json:"x-paygate-return-url"`
		ErrorCodes []errorCode    `json:"x-paygate-error-codes"`
	}
	docOperation struct {
		Summary     string                 `json:"summary"`
		Description string                 `json:"description"`
		Security    *[]map[string][]string `json:"security"`
		Parameters  []docParam             `json:"parameters"`
		RequestBody *docBody               `json:"requestBody"`
		Responses   map[string]docResponse `json:"responses"`
	}
	docParam struct {
		Ref         string     `json:"$ref"`
		Name        string     `json:"name"`
		In          string     `json:"in"`
		Required    bool       `json:"required"`
		Description string     `json:"description"`
		Schema      *docSchema `json:"schema"`
	}
	docBody struct {
		Ref     string `json:"$ref"`
		Content map[string]struct {
			Schema *docSchema `json:"schema"`
		} `json:"content"`
	}
	docResponse struct {
		Ref         string         `json:"$ref"`
		Description string         `json:"description"`
		Headers     map[string]any `json:"headers"`
		Content     map[string]struct {
			Schema *docSchema `json:"schema"`
		} `json:"content"`
	}
	docSchema struct {
		Ref         string                `json:"$ref"`
		Type        string                `json:"type"`
		Format      string                `json:"format"`
		Const       any                   `json:"const"`
		Enum        []string              `json:"enum"`
		Description string                `json:"description"`
		Items       *docSchema            `json:"items"`
		OneOf       []*docSchema          `json:"oneOf"`
		Required    []string              `json:"required"`
		Properties  map[string]*docSchema `json:"properties"`
		Minimum     *float64              `json:"minimum"`
		Maximum     *float64              `json:"maximum"`
		MinLength   *int                  `json:"minLength"`
		MaxLength   *int                  `json:"maxLength"`
		Default     any                   `json:"default"`
	}
)

func refName(ref string) string { return ref[strings.LastIndexByte(ref, '/')+1:] }

// typeOf describes a schema in a few words: "string (date-time)",
// "array of Payment", "Payment or PaymentList".
func typeOf(s *docSchema) string {
	switch {
	case s == nil:
		return ""
	case s.Ref != "":
		return refName(s.Ref)
	case len(s.OneOf) > 0:
		var alts []string
		for _, a := range s.OneOf {
			alts = append(alts, typeOf(a))
		}
		return strings.Join(alts, " or ")
	case s.Type == "array":
		return "array of " + typeOf(s.Items)
	}
	t := s.Type
	if s.Format != "" {
		t += " (" + s.Format + ")"
	}
	if s.Const != nil {
		t += fmt.Sprintf(" = %q", fmt.Sprint(s.Const))
	}
	if len(s.Enum) > 0 {
		t += ": " + strings.Join(s.Enum, " | ")
	}
	var lim []string
	if s.MinLength != nil || s.MaxLength != nil {
		lim = append(lim, fmt.Sprintf("length %s–%s", intOr(s.MinLength, "0"), intOr(s.MaxLength, "∞")))
	}
	if s.Minimum != nil || s.Maximum != nil {
		lim = append(lim, fmt.Sprintf("%s–%s", floatOr(s.Minimum, "−∞"), floatOr(s.Maximum, "∞")))
	}
	if s.Default != nil {
		lim = append(lim, fmt.Sprintf("default %v", s.Default))
	}
	if len(lim) > 0 {
		t += ", " + strings.Join(lim, ", ")
	}
	return t
}

func intOr(p *int, def string) string {
	if p == nil {
		return def
	}
	return strconv.Itoa(*p)
}

func floatOr(p *float64, def string) string {
	if p == nil {
		return def
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

// prose splits a description into paragraphs; an indented paragraph is
// preformatted.
func prose(s string) []block {
	var out []block
	for _, p := range strings.Split(s, "\n\n") {
		if strings.TrimSpace(p) == "" {
			continue
		}
		if strings.HasPrefix(p, "    ") {
			lines := strings.Split(p, "\n")
			for i, l := range lines {
				lines[i] = strings.TrimPrefix(l, "    ")
			}
			out = append(out, block{Pre: true, Text: strings.Join(lines, "\n")})
			continue
		}
		out = append(out, block{Text: p})
	}
	return out
}

var methodRank = map[string]int{"post": 0, "get": 1, "put": 2, "patch": 3, "delete": 4}

func buildView(raw []byte) (*view, error) {
	var d docRoot
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("parse openapi.json: %w", err)
	}
	c := d.Components
	v := &view{
		Title: d.Info.Title, Version: d.Info.Version, Summary: d.Info.Summary, Description: prose(d.Info.Description),
		Signing: prose(c.SecuritySchemes["PaygateSignature"].Description), GatewaySigning: prose(c.SecuritySchemes["GatewaySignature"].Description),
		Example: d.Example, Errors: d.ErrorCodes, Retry: d.Retry, ReturnURL: d.ReturnURL,
	}
	v.RawRequest = rawRequest(d.Example)

	resolveParam := func(p docParam) (docParam, error) {
		if p.Ref == "" {
			return p, nil
		}
		q, ok := c.Parameters[refName(p.Ref)]
		if !ok {
			return p, fmt.Errorf("unresolved %s", p.Ref)
		}
		return q, nil
	}
	resolveResponse := func(r docResponse) (docResponse, error) {
		if r.Ref == "" {
			return r, nil
		}
		q, ok := c.Responses[refName(r.Ref)]
		if !ok {
			return r, fmt.Errorf("unresolved %s", r.Ref)
		}
		return q, nil
	}
	operations := func(paths map[string]map[string]docOperation, webhook bool) ([]endpoint, error) {
		var out []endpoint
		for path, ops := range paths {
			for method, op := range ops {
				e := endpoint{Method: strings.ToUpper(method), Path: path, Summary: op.Summary, Description: prose(op.Description),
					Signed: !webhook && (op.Security == nil || len(*op.Security) > 0)}
				e.Anchor = "op-" + strings.ToLower(e.Method) + strings.NewReplacer("/", "-", "{", "", "}", "", ".", "-").Replace(path)
				for _, p := range op.Parameters {
					p, err := resolveParam(p)
					if err != nil {
						return nil, fmt.Errorf("%s %s: %w", method, path, err)
					}
					e.Params = append(e.Params, param{Name: p.Name, In: p.In, Type: typeOf(p.Schema), Description: p.Description, Required: p.Required})
				}
				if b := op.RequestBody; b != nil {
					if b.Ref != "" {
						rb, ok := c.RequestBodies[refName(b.Ref)]
						if !ok {
							return nil, fmt.Errorf("%s %s: unresolved %s", method, path, b.Ref)
						}
						b = &rb
					}
					e.Body = typeOf(b.Content["application/json"].Schema)
				}
				for status, r := range op.Responses {
					r, err := resolveResponse(r)
					if err != nil {
						return nil, fmt.Errorf("%s %s: %w", method, path, err)
					}
					out := response{Status: status, Description: r.Description, Schema: typeOf(r.Content["application/json"].Schema)}
					for h := range r.Headers {
						out.Headers = append(out.Headers, h)
					}
					sort.Strings(out.Headers)
					e.Responses = append(e.Responses, out)
				}
				sort.Slice(e.Responses, func(i, j int) bool { return e.Responses[i].Status < e.Responses[j].Status })
				out = append(out, e)
			}
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].Path != out[j].Path {
				return out[i].Path < out[j].Path
			}
			return methodRank[strings.ToLower(out[i].Method)] < methodRank[strings.ToLower(out[j].Method)]
		})
		return out, nil
	}
	var err error
	if v.Endpoints, err = operations(d.Paths, false); err != nil {
		return nil, err
	}
	if v.Webhooks, err = operations(d.Webhooks, true); err != nil {
		return nil, err
	}
	for name, s := range c.Schemas {
		sc := schema{Name: name, Type: s.Type, Description: prose(s.Description), Enum: s.Enum}
		for pn, ps := range s.Properties {
			sc.Props = append(sc.Props, prop{Name: pn, Type: typeOf(ps), Description: ps.Description, Required: slices.Contains(s.Required, pn)})
		}
		// Required fields first, then by name.
		sort.Slice(sc.Props, func(i, j int) bool {
			a, b := sc.Props[i], sc.Props[j]
			if a.Required != b.Required {
				return a.Required
			}
			return a.Name < b.Name
		})
		v.Schemas = append(v.Schemas, sc)
	}
	sort.Slice(v.Schemas, func(i, j int) bool { return v.Schemas[i].Name < v.Schemas[j].Name })
	return v, nil
}

// rawRequest is the worked example as it goes over the wire.
func rawRequest(ex signingExample) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: pay.example.com\r\n", ex.Method, ex.PathAndQuery)
	if ex.Body != "" {
		fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(ex.Body))
	}
	for _, h := range [][2]string{
		{"Paygate-Merchant", ex.Merchant}, {"Paygate-Timestamp", ex.Timestamp}, {"Paygate-Nonce", ex.Nonce},
		{"Paygate-Sign-Type", ex.SignType}, {"Paygate-Signature", ex.Signature}, {"Idempotency-Key", ex.IdempotencyKey},
	} {
		if h[1] != "" {
			fmt.Fprintf(&b, "%s: %s\r\n", http.CanonicalHeaderKey(h[0]), h[1])
		}
	}
	b.WriteString("\r\n")
	b.WriteString(ex.Body)
	return strings.ReplaceAll(b.String(), "\r\n", "\n")
}

// visibleNewlines shows each "\n" of a string-to-sign as the two
// characters \n at the end of its line.
func visibleNewlines(s string) string {
	return strings.ReplaceAll(s, "\n", `\n`+"\n")
}
