package check_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ikdkit/ikdkit/credential/check"
)

func TestErrorUnwrapsSentinelAndCause(t *testing.T) {
	sentinel := errors.New("pkg: revoked")
	cause := errors.New("list says 1")
	err := fmt.Errorf("wrapped: %w", &check.Error{Check: check.Status, Credential: 2, Err: sentinel, Detail: "index 7", Cause: cause})
	var e *check.Error
	if !errors.As(err, &e) || e.Check != check.Status || e.Credential != 2 {
		t.Fatalf("errors.As: %v", err)
	}
	if !errors.Is(err, sentinel) || !errors.Is(err, cause) {
		t.Fatal("sentinel or cause not reachable")
	}
	if got, want := e.Error(), "pkg: revoked [status] (credential 2): index 7: list says 1"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	n := check.New(check.Input, sentinel, "%d options", 3)
	if n.Credential != -1 || n.Error() != "pkg: revoked [input]: 3 options" {
		t.Fatalf("New: %+v %q", n, n.Error())
	}
}

func TestCheckNames(t *testing.T) {
	seen := map[string]bool{}
	for c := check.Format; c <= check.Input; c++ {
		s := c.String()
		if s == "" || seen[s] || s == fmt.Sprintf("check(%d)", int(c)) {
			t.Fatalf("check %d has name %q", c, s)
		}
		seen[s] = true
	}
	if got := check.Check(99).String(); got != "check(99)" {
		t.Fatalf("unknown check: %q", got)
	}
}
