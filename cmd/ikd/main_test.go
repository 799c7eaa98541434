package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestDemo(t *testing.T) {
	var out, errOut bytes.Buffer
	now := func() time.Time { return time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC) }
	if code := run([]string{"demo"}, &out, &errOut, now); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{
		"nik            3174015708950021",
		"nama           RINA KARTIKA SARI",
		"alamat         map[kab_kota:KOTA JAKARTA SELATAN]",
		"rejected at the \"key binding\" check: sdjwt: sd_hash mismatch",
		"every step behaved as expected",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "ISLAM") {
		t.Error("an undisclosed claim value appears in the output")
	}
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(nil, &out, &errOut, time.Now); code != 2 {
		t.Fatalf("no args: exit %d", code)
	}
	if code := run([]string{"bogus"}, &out, &errOut, time.Now); code != 2 || !strings.Contains(errOut.String(), "unknown command") {
		t.Fatalf("unknown command: exit %d, %q", code, errOut.String())
	}
	if code := run([]string{"help"}, &out, &errOut, time.Now); code != 0 {
		t.Fatalf("help: exit %d", code)
	}
}
