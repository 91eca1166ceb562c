package termtext

import "testing"

func BenchmarkClean(b *testing.B) {
	s := "The \x1b[31mcode\x1b[0m has expired; \u202estart again\u202c please. " + "Código inválido."
	b.ReportAllocs()
	for b.Loop() {
		Clean(s)
	}
}
