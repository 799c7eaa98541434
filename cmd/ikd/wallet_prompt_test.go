package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestWalletPINPrompt: when stdin is a terminal (env.readSecret set) the
// PIN is asked for with a prompt through readSecret, which reads without
// echo; the PIN never reaches stdout or stderr, and an empty or failing
// read is a clear error.
func TestWalletPINPrompt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "w")
	var prompts []string
	secret := func(answers ...string) func(string) (string, error) {
		return func(prompt string) (string, error) {
			prompts = append(prompts, prompt)
			if len(answers) == 0 {
				return "", errors.New("no input")
			}
			a := answers[0]
			answers = answers[1:]
			return a, nil
		}
	}
	steps := []struct {
		name   string
		args   []string
		answer []string
		code   int
		err    string
		prompt []string
	}{
		{"init", []string{"wallet", "init", "--wallet", dir}, []string{"135790"}, 0, "", []string{"ikd wallet: PIN: "}},
		{"list", []string{"wallet", "list", "--wallet", dir}, []string{"135790"}, 0, "", []string{"ikd wallet: PIN: "}},
		{"wrong PIN", []string{"wallet", "list", "--wallet", dir}, []string{"000000"}, 1, "wrong PIN", []string{"ikd wallet: PIN: "}},
		{"change-pin asks twice", []string{"wallet", "change-pin", "--wallet", dir}, []string{"135790", "246801"},
			0, "", []string{"ikd wallet: PIN: ", "ikd wallet: new PIN: "}},
		{"new PIN works", []string{"wallet", "list", "--wallet", dir}, []string{"246801"}, 0, "", []string{"ikd wallet: PIN: "}},
		{"empty", []string{"wallet", "list", "--wallet", dir}, []string{""}, 2, "type it at the prompt", []string{"ikd wallet: PIN: "}},
		{"read fails", []string{"wallet", "list", "--wallet", dir}, nil, 1, "no input", []string{"ikd wallet: PIN: "}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			prompts = nil
			e, out, errOut := testEnv()
			e.readSecret = secret(st.answer...)
			if code := run(context.Background(), e, st.args); code != st.code {
				t.Fatalf("exit %d, want %d: %s", code, st.code, errOut.String())
			}
			if !strings.Contains(errOut.String(), st.err) {
				t.Errorf("stderr %q, want %q", errOut.String(), st.err)
			}
			if strings.Join(prompts, "|") != strings.Join(st.prompt, "|") {
				t.Errorf("prompts %q, want %q", prompts, st.prompt)
			}
			for _, a := range st.answer {
				if a != "" && (strings.Contains(out.String(), a) || strings.Contains(errOut.String(), a)) {
					t.Errorf("PIN %s echoed", a)
				}
			}
		})
	}
}
