package flow

import "testing"

func BenchmarkParsePaste(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"bare", "muCvSdwVv4UiSWM2QHn3W64J"},
		{"url", "https://app.example.com/oauth/callback?code=muCvSdwVv4UiSWM2QHn3W64J&state=0123456789abcdef0123456789abcdef0123456789a"},
		{"oob-text", "Authorization code:\n\nmuCvSdwVv4UiSWM2QHn3W64J\n\nCopy this code, switch to your application and paste it there."},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParsePaste(bc.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeJWT(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeJWT(warhornIDToken); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStartAuth(b *testing.B) {
	p, err := Preset("dressipi", Overrides{BaseURL: "https://api.example.com", ClientID: "client-1"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := StartAuth(p); err != nil {
			b.Fatal(err)
		}
	}
}
