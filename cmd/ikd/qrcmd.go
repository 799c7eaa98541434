package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"

	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/qrcode"
	"github.com/ikdkit/ikdkit/keys"
)

const qrHelp = `usage: ikd qr encode [--png FILE] [--scale N] [--terminal] INPUT
       ikd qr decode IMAGE

encode puts the text of INPUT (a file, or - for stdin; for example qr.txt
from "ikd demo --dir") into a QR code at error correction level M, in
alphanumeric mode when the text is base45, else byte mode, and writes it
as a PNG (--png) and/or draws it in the terminal (--terminal, the default
when --png is not given). decode reads a PNG or JPEG image of a QR code and
writes its payload to stdout, byte for byte.

Example:
  ikd qr encode --png qr.png out/qr.txt
  ikd qr decode qr.png > back.txt && cmp back.txt out/qr.txt
`

func qrCmd(_ context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("want a subcommand: encode or decode")
	}
	fs := newFlagSet("qr", qrHelp, e)
	switch args[0] {
	case "encode":
		png := fs.String("png", "", "")
		scale := fs.Int("scale", 4, "")
		term := fs.Bool("terminal", false, "")
		pos, err := parseFlags(fs, args[1:], 1)
		if err != nil {
			return err
		}
		data, err := readInput(e, pos[0])
		if err != nil {
			return err
		}
		code, err := codeFor(data)
		if err != nil {
			return err
		}
		if *png != "" {
			img, err := qrcode.PNG(code, *scale)
			if err != nil {
				return usagef("%v", err)
			}
			if err := os.WriteFile(*png, img, 0o644); err != nil {
				return err
			}
		}
		if *term || *png == "" {
			t, err := qrcode.Terminal(code)
			if err != nil {
				return err
			}
			fmt.Fprint(e.stdout, t)
		}
		return nil
	case "decode":
		pos, err := parseFlags(fs, args[1:], 1)
		if err != nil {
			return err
		}
		img, err := readInput(e, pos[0])
		if err != nil {
			return err
		}
		data, err := qrcode.ScanImage(bytes.NewReader(img))
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(data)
		return err
	case "-h", "-help", "--help":
		fmt.Fprint(e.stdout, qrHelp)
		return errHelp
	}
	return usagef("unknown subcommand %q: want encode or decode", args[0])
}

// codeFor puts data into one QR code (qr.NewCode: alphanumeric mode when
// the text is base45, else byte mode, at the smallest version).
func codeFor(data []byte) (qr.Code, error) {
	if len(data) == 0 {
		return qr.Code{}, fmt.Errorf("nothing to encode")
	}
	c, err := qr.NewCode(data)
	if errors.Is(err, qr.ErrTooLarge) {
		return qr.Code{}, fmt.Errorf("%d bytes do not fit one QR code (version 40, level M)", len(data))
	}
	return c, err
}

// b64url decodes unpadded base64url strictly.
func b64url(s string) ([]byte, error) { return base64.RawURLEncoding.Strict().DecodeString(s) }

const keygenHelp = `usage: ikd keygen [--alg ES256|ES384|ES512|EdDSA] [--format jwk|pem] --out FILE [--pub FILE] [--force]

Makes a key pair. The private key goes to --out (mode 0600; required), the
public key to --pub, or to stdout when --pub is not given. An existing
file is not overwritten (a key lost that way cannot be recovered) unless
--force is given.

Example:
  ikd keygen --out issuer.key.jwk --pub issuer.jwk.json
`

func keygenCmd(_ context.Context, e *env, args []string) error {
	fs := newFlagSet("keygen", keygenHelp, e)
	alg := fs.String("alg", string(keys.ES256), "")
	format := fs.String("format", "jwk", "")
	out := fs.String("out", "", "")
	pubOut := fs.String("pub", "", "")
	force := fs.Bool("force", false, "")
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required")
	}
	if !*force {
		for _, name := range []string{*out, *pubOut} {
			if _, err := os.Lstat(name); name != "" && err == nil {
				return fmt.Errorf("%s exists: give --force to overwrite it", name)
			}
		}
	}
	if *format != "jwk" && *format != "pem" {
		return usagef("--format: want jwk or pem, got %q", *format)
	}
	k, err := keys.Generate(keys.Algorithm(*alg), nil)
	if err != nil {
		return usagef("--alg: %v", err)
	}
	var priv, pub []byte
	if *format == "jwk" {
		if priv, err = keys.MarshalPrivateJWK(k); err == nil {
			pub, err = keys.MarshalPublicJWK(k.Public())
		}
	} else {
		if priv, err = keys.MarshalPrivateKeyPEM(k); err == nil {
			pub, err = keys.MarshalPublicKeyPEM(k.Public())
		}
	}
	if err != nil {
		return err
	}
	if err := writeKeyFile(*out, priv, 0o600, *force); err != nil {
		return err
	}
	if *pubOut != "" {
		return writeKeyFile(*pubOut, pub, 0o644, *force)
	}
	_, err = fmt.Fprintf(e.stdout, "%s\n", bytes.TrimSpace(pub))
	return err
}

// writeKeyFile writes a key file with mode perm: a new file, or with
// replace an existing one, whose mode is then set to perm too (a private
// key must not keep a readable mode).
func writeKeyFile(name string, data []byte, perm os.FileMode, replace bool) error {
	flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if replace {
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
