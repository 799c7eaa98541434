package main

import (
	"errors"
	"strings"
	"testing"
)

// TestParseFlags: flags and positional arguments mix in any order, "-" is
// positional, and "--" ends the flags so a value starting with "-" is
// positional.
func TestParseFlags(t *testing.T) {
	tests := []struct {
		args []string
		want int
		pos  string
		x    string
		err  bool
	}{
		{args: []string{"a", "--x", "1", "b"}, want: 2, pos: "a,b", x: "1"},
		{args: []string{"--x", "1", "-"}, want: 1, pos: "-", x: "1"},
		{args: []string{"--x", "1", "--", "-1"}, want: 1, pos: "-1", x: "1"},
		{args: []string{"a", "--", "--x", "-b"}, want: 3, pos: "a,--x,-b"},
		{args: []string{"-1"}, want: 1, err: true},
		{args: []string{"a"}, want: 2, err: true},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			e, _, _ := testEnv()
			fs := newFlagSet("t", "help", e)
			x := fs.String("x", "", "")
			pos, err := parseFlags(fs, tc.args, tc.want)
			if tc.err {
				var ue *usageError
				if !errors.As(err, &ue) {
					t.Fatalf("got %v, want a usage error", err)
				}
				return
			}
			if err != nil || strings.Join(pos, ",") != tc.pos || *x != tc.x {
				t.Fatalf("pos %q x %q err %v", pos, *x, err)
			}
		})
	}
}
