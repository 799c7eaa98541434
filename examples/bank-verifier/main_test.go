package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestKYC(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	wd, err := newWorld(ctx, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer wd.Close()
	v, err := newVerifier(wd)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&kyc{v: v})
	defer srv.Close()
	post := func(t *testing.T, body string) (int, identity) {
		t.Helper()
		resp, err := http.Post(srv.URL, "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var id identity
		if err := json.NewDecoder(resp.Body).Decode(&id); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, id
	}

	good, err := wd.customerQR(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(20 * time.Second)
	code, id := post(t, good)
	if code != http.StatusOK || !id.Verified || id.NIK != "3174015708950021" || id.Name != "RINA KARTIKA SARI" ||
		id.BirthDate != "1995-08-17" || id.Sex != "PEREMPUAN" || id.Issuer != "Ditjen Dukcapil" {
		t.Fatalf("good QR: %d %+v", code, id)
	}

	if code, id := post(t, good); code != http.StatusUnprocessableEntity || id.Check != "replay" {
		t.Errorf("replay: %d %+v", code, id)
	}

	stale, err := wd.customerQR(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Minute)
	fresh, err := wd.customerQR(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, body string
		code       int
		check      string
	}{
		{"stale", stale, http.StatusUnprocessableEntity, "freshness"},
		{"garbage", "IKP1:NOT-A-QR", http.StatusUnprocessableEntity, "format"},
		{"empty", "", http.StatusBadRequest, ""},
		{"too large", strings.Repeat("A", maxBody+1), http.StatusRequestEntityTooLarge, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, id := post(t, tc.body)
			if code != tc.code || id.Verified || id.Check != tc.check || id.Error == "" {
				t.Errorf("%d %+v", code, id)
			}
		})
	}

	// The phone is lost: the bank's refreshed status cache refuses it.
	if _, err := wd.iss.ReportLost(ctx, "operator:kec-tebet-01", "3174015708950021"); err != nil {
		t.Fatal(err)
	}
	if err := wd.publish(ctx); err != nil {
		t.Fatal(err)
	}
	if code, id := post(t, fresh); code != http.StatusUnprocessableEntity || id.Check != "status" {
		t.Errorf("after loss: %d %+v", code, id)
	}
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
}
