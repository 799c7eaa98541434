package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"1. issued a QR profile SD-JWT VC",
		"2. presented [[\"id\"]] as a QR",
		"3. verified, issued by https://dukcapil.example.go.id: map[birthdate:1995-08-17 name:RINA KARTIKA SARI nik:3174015708950021 sex:2]",
		"4. the same QR again is refused as a replay; 2 minutes later: verifier: presentation not fresh [freshness]",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
