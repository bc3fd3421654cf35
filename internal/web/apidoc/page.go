package apidoc

import (
	"html/template"
	"strings"
)

// style is the page's only style sheet, inline and allowed by its hash.
const style = `
:root{--fg:#1d232b;--muted:#5b6573;--line:#d9dee5;--bg:#fff;--code:#f4f6f9;--accent:#0b5cad;--post:#1b7f3b;--get:#0b5cad}
*{box-sizing:border-box}
body{margin:0;font:15px/1.55 -apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:24px 32px;border-bottom:1px solid var(--line)}
header h1{margin:0 0 4px;font-size:26px}
header p{margin:0;color:var(--muted)}
.layout{display:flex;align-items:flex-start}
nav{position:sticky;top:0;flex:0 0 260px;max-height:100vh;overflow:auto;padding:20px 16px 40px 32px;border-right:1px solid var(--line);font-size:14px}
nav ul{list-style:none;margin:0 0 12px;padding:0}
nav li{margin:2px 0}
nav h2{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:16px 0 6px}
main{flex:1;min-width:0;padding:8px 40px 80px;max-width:1100px}
h2{margin-top:40px;padding-top:8px;border-top:1px solid var(--line);font-size:22px}
h3{margin-top:32px;font-size:18px}
a{color:var(--accent);text-decoration:none}
a:hover{text-decoration:underline}
code,pre{font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--code);border-radius:4px}
code{padding:1px 4px}
pre{padding:12px 14px;overflow:auto;white-space:pre}
table{border-collapse:collapse;width:100%;margin:8px 0 16px;font-size:14px}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
th{background:var(--code);font-weight:600}
.m{display:inline-block;min-width:52px;padding:1px 6px;border-radius:4px;color:#fff;font:600 12px/1.6 ui-monospace,monospace;text-align:center}
.m-POST{background:var(--post)}.m-GET{background:var(--get)}
.op{border:1px solid var(--line);border-radius:6px;padding:4px 18px 8px;margin:18px 0}
.op h3{margin-top:14px}
.req{color:#b3261e;font-size:12px;font-weight:600}
.muted{color:var(--muted)}
.tag{font-size:12px;color:var(--muted);border:1px solid var(--line);border-radius:10px;padding:0 6px}
@media (max-width:800px){.layout{display:block}nav{position:static;max-height:none;border-right:0;border-bottom:1px solid var(--line)}main{padding:8px 16px 60px}}
`

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"style":   func() template.CSS { return template.CSS(style) },
	"visible": visibleNewlines,
	"lower":   strings.ToLower,
	"add":     func(a, b int) int { return a + b },
	"anchor":  func(name string) string { return "schema-" + name },
	"isSchema": func(v *view, name string) bool {
		for _, s := range v.Schemas {
			if s.Name == name {
				return true
			}
		}
		return false
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} {{.Version}} — API reference 接口文档</title>
<style>{{style}}</style>
</head>
<body>
<header>
<h1>{{.Title}} <span class="tag">{{.Version}}</span></h1>
<p>{{.Summary}} · <a href="/openapi.json">openapi.json</a> (OpenAPI 3.1)</p>
</header>
<div class="layout">
<nav aria-label="Contents">
<h2>Guide 指南</h2>
<ul>
<li><a href="#overview">Overview 概述</a></li>
<li><a href="#signing">Signing requests 请求签名</a></li>
<li><a href="#example">Worked example 签名示例</a></li>
<li><a href="#responses">Signed responses 响应验签</a></li>
<li><a href="#idempotency">Idempotency 幂等</a></li>
<li><a href="#return">Return URL 同步返回</a></li>
</ul>
<h2>Endpoints 接口</h2>
<ul>{{range .Endpoints}}
<li><a href="#{{.Anchor}}"><span class="m m-{{.Method}}">{{.Method}}</span> {{.Path}}</a></li>{{end}}
</ul>
<h2>Notifications 异步通知</h2>
<ul>{{range .Webhooks}}
<li><a href="#{{.Anchor}}">{{.Path}}</a></li>{{end}}
<li><a href="#retry">Retry schedule 重试</a></li>
</ul>
<h2>Reference 参考</h2>
<ul>
<li><a href="#schemas">Schemas 数据结构</a></li>
<li><a href="#errors">Error codes 错误码</a></li>
</ul>
</nav>
<main>

<h2 id="overview">Overview 概述</h2>
{{template "prose" .Description}}

<h2 id="signing">Signing requests 请求签名</h2>
{{template "prose" .Signing}}

<h3 id="example">Worked example 签名示例</h3>
<p>{{.Example.Description}}</p>
<p>Example merchant key ({{.Example.SignType}}), merchant <code>{{.Example.Merchant}}</code>:</p>
<p>Private key: the 32-byte Ed25519 seed (RFC 8032), hex — in Go <code>ed25519.NewKeyFromSeed</code>:</p>
<pre>{{.Example.PrivateKeySeed}}</pre>
<pre>{{.Example.PublicKeyPEM}}</pre>
<p>1. The body, exactly the bytes that will be sent:</p>
<pre>{{.Example.Body}}</pre>
<p>2. The string-to-sign (<code>\n</code> marks each newline; there is one after the body too):</p>
<pre>{{visible .Example.StringToSign}}</pre>
<p>3. Sign it with the private key ({{.Example.SignType}}) and encode the signature in standard base64:</p>
<pre>{{.Example.Signature}}</pre>
<p>4. Send it:</p>
<pre>{{.RawRequest}}</pre>
<p class="muted">For a GET the body is empty, so the string-to-sign ends in <code>NONCE\n\n</code>; the query is signed exactly as it appears in the request line.</p>

<h3 id="responses">Signed responses and notifications 响应与通知验签</h3>
{{template "prose" .GatewaySigning}}

<h3 id="idempotency">Idempotency 幂等</h3>
<p>Send an <code>Idempotency-Key</code> header on every POST. The same key with the same method, path and body replays the first response for 24 hours; with a different request it is <code>422 idempotency_key_reused</code>; while the first request is still running, <code>409 idempotency_in_flight</code>. A request that failed with a 5xx releases its key. Each retry still needs a fresh nonce and signature.</p>

<h3 id="return">Return URL 同步返回</h3>
<p>{{.ReturnURL.Description}}</p>
<p>Parameters: {{range $i, $p := .ReturnURL.Parameters}}{{if $i}}, {{end}}<code>{{$p}}</code>{{end}}.</p>

<h2>Endpoints 接口</h2>
{{range .Endpoints}}{{template "op" .}}{{end}}

<h2>Notifications 异步通知 (webhooks)</h2>
<p>The gateway POSTs an <a href="#schema-Event">Event</a> to the notify URL, signed like a response. Deliveries are at least once: apply each event once by its <code>id</code>, then answer 2xx.</p>
{{range .Webhooks}}{{template "op" .}}{{end}}
<h3 id="retry">Retry schedule 重试计划</h3>
<p>{{.Retry.Description}}</p>
<table>
<thead><tr><th>Attempt 次数</th><th>After the previous attempt 间隔</th></tr></thead>
<tbody>
<tr><td>1</td><td>at once, after the change commits</td></tr>
{{range $i, $d := .Retry.Delays}}<tr><td>{{add $i 2}}</td><td>{{$d}}</td></tr>
{{end}}</tbody>
</table>
<p>After the last attempt the event is marked failed and kept; the operator can resend it.</p>

<h2 id="schemas">Schemas 数据结构</h2>
{{$v := .}}{{range .Schemas}}
<h3 id="{{anchor .Name}}">{{.Name}}</h3>
{{template "prose" .Description}}
{{if .Enum}}<p>{{.Type}}, one of: {{range $i, $e := .Enum}}{{if $i}} · {{end}}<code>{{$e}}</code>{{end}}</p>{{end}}
{{if .Props}}<table>
<thead><tr><th>Field 字段</th><th>Type 类型</th><th>Description 说明</th></tr></thead>
<tbody>{{range .Props}}
<tr><td><code>{{.Name}}</code>{{if .Required}} <span class="req">required</span>{{end}}</td><td>{{if isSchema $v .Type}}<a href="#{{anchor .Type}}">{{.Type}}</a>{{else}}{{.Type}}{{end}}</td><td>{{.Description}}</td></tr>{{end}}
</tbody>
</table>{{end}}
{{end}}

<h2 id="errors">Error codes 错误码</h2>
<p>Every error is <code>{"error":{"code":"…","message":"…","request_id":"…"}}</code> with the HTTP status below. Codes are stable: they are never renamed or reused. Branch on <code>code</code>, show or log <code>message</code>, quote <code>request_id</code> to support.</p>
<table>
<thead><tr><th>Code 错误码</th><th>HTTP</th><th>Where 来源</th><th>Meaning 含义</th></tr></thead>
<tbody>{{range .Errors}}
<tr id="error-{{.Code}}-{{.Status}}"><td><code>{{.Code}}</code></td><td>{{.Status}}</td><td>{{.Source}}</td><td>{{.Meaning}}</td></tr>{{end}}
</tbody>
</table>
</main>
</div>
</body>
</html>
{{define "prose"}}{{range .}}{{if .Pre}}<pre>{{.Text}}</pre>{{else}}<p>{{.Text}}</p>{{end}}
{{end}}{{end}}
{{define "op"}}<section class="op" id="{{.Anchor}}">
<h3><span class="m m-{{.Method}}">{{.Method}}</span> <code>{{.Path}}</code></h3>
<p><strong>{{.Summary}}</strong>{{if not .Signed}} <span class="tag">no request signature</span>{{end}}</p>
{{template "prose" .Description}}
{{if .Params}}<table>
<thead><tr><th>Parameter 参数</th><th>In</th><th>Type 类型</th><th>Description 说明</th></tr></thead>
<tbody>{{range .Params}}
<tr><td><code>{{.Name}}</code>{{if .Required}} <span class="req">required</span>{{end}}</td><td>{{.In}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>{{end}}
</tbody>
</table>{{end}}
{{if .Body}}<p>Body 请求体: <a href="#schema-{{.Body}}">{{.Body}}</a> (application/json)</p>{{end}}
<table>
<thead><tr><th>Status 状态</th><th>Body</th><th>Description 说明</th></tr></thead>
<tbody>{{range .Responses}}
<tr><td>{{.Status}}</td><td>{{if .Schema}}{{.Schema}}{{else}}—{{end}}</td><td>{{.Description}}{{if .Headers}}<br><span class="muted">Headers: {{range $i, $h := .Headers}}{{if $i}}, {{end}}{{$h}}{{end}}</span>{{end}}</td></tr>{{end}}
</tbody>
</table>
</section>
{{end}}`))
