package localoauth

import (
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
)

const pageCSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f1fb;color:#1e1b2e;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border-radius:14px;box-shadow:0 6px 30px rgba(60,40,120,.15);padding:2rem 2.5rem;max-width:34rem}
.brand{font-size:.85rem;letter-spacing:.08em;text-transform:uppercase;color:#7c5cff;margin:0 0 .5rem}
h1{margin:.2rem 0 1rem;font-size:1.5rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;font-size:.95rem}
dt{color:#6b6680}dd{margin:0;word-break:break-all}
.buttons{display:flex;gap:1rem;margin-top:1.5rem}
button{font-size:1rem;border:0;border-radius:8px;padding:.7rem 1.6rem;cursor:pointer}
.approve{background:#7c5cff;color:#fff}.deny{background:#ece8f7;color:#1e1b2e}
code#result{display:block;font-size:2rem;font-family:ui-monospace,monospace;background:#f4f1fb;border-radius:8px;padding:1rem;margin:1rem 0;word-break:break-all;user-select:all}
p.hint{color:#6b6680}
input[name=user_code]{font-size:1.6rem;font-family:ui-monospace,monospace;letter-spacing:.15em;padding:.4rem .6rem;width:12ch;text-transform:uppercase}
`

var pages = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Name}}</title><style>` + pageCSS + `</style></head>
<body><main>
<p class="brand">{{.Name}}</p>
<h1>Allow access?</h1>
<p><strong>{{.ClientID}}</strong> asks to access your account.</p>
<dl><dt>Scopes</dt><dd>{{if .Scopes}}{{range .Scopes}}{{.}} {{end}}{{else}}(none){{end}}</dd>
<dt>Returns to</dt><dd>{{.RedirectURI}}</dd></dl>
<form method="post" action="{{.Action}}">
{{range .Hidden}}<input type="hidden" name="{{.K}}" value="{{.V}}">
{{end}}<div class="buttons"><button class="approve" name="decision" value="approve" type="submit">Approve</button>
<button class="deny" name="decision" value="deny" type="submit">Deny</button></div>
</form>
</main></body></html>
`))
})

var resultPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("result").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Label}} {{.Value}}</title><style>` + pageCSS + `</style></head>
<body><main>
<p class="brand">{{.Name}}</p>
<h1>{{.Label}}</h1>
<code id="result">{{.Value}}</code>
{{if .Desc}}<p>{{.Desc}}</p>{{end}}
<p class="hint">{{.Hint}}</p>
</main></body></html>
`))
})

var devicePage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("device").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Name}} — connect a device</title><style>` + pageCSS + `</style></head>
<body><main>
<p class="brand">{{.Name}}</p>
<h1>{{.Title}}</h1>
{{if .Message}}<p>{{.Message}}</p>{{end}}
{{if .Form}}<form method="post" action="/device/verify">
<p>Enter the code shown on your device:</p>
<input name="user_code" value="{{.UserCode}}" autocomplete="off" autofocus>
<div class="buttons"><button class="approve" name="decision" value="approve" type="submit">Approve</button>
<button class="deny" name="decision" value="deny" type="submit">Deny</button></div>
</form>{{end}}
</main></body></html>
`))
})

type kv struct{ K, V string }

func (s *Server) renderConsent(c *call, a *authReq, p url.Values) {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var hidden []kv
	for _, k := range keys {
		hidden = append(hidden, kv{k, p.Get(k)})
	}
	var scopes []string
	if a.scope != "" {
		scopes = strings.Split(a.scope, " ")
	}
	s.html(c, http.StatusOK, pages, map[string]any{
		"Name": s.cfg.name, "ClientID": a.clientID, "Scopes": scopes, "RedirectURI": a.redirectURI,
		"Action": s.cfg.authorizePath, "Hidden": hidden,
	})
}

func (s *Server) renderResult(c *call, label, value, desc string) {
	hint := "Copy the code above and paste it into tokenring."
	if desc != "" {
		hint = "You can close this page."
	}
	s.html(c, http.StatusOK, resultPage, map[string]any{
		"Name": s.cfg.name, "Label": label, "Value": value, "Desc": desc, "Hint": hint,
	})
}

// t is built on first use (parsing the pages at init cost every tokenring
// process ~0.2 ms: issue 5).
func (s *Server) html(c *call, status int, t func() *template.Template, data any) {
	h := c.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	c.status = status
	c.w.WriteHeader(status)
	t().Execute(c.w, data)
}
