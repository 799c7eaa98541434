package main

import (
	"context"
	"fmt"
	"net"
	"os"
)

// serveOnly is a command whose one subcommand is serve ("ikd issuer",
// "ikd verifier"), with help its --help.
func serveOnly(help string, serve command) command {
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) == 0 {
			return usagef("want a subcommand: serve")
		}
		switch args[0] {
		case "serve":
			return serve(ctx, e, args[1:])
		case "-h", "-help", "--help", "help":
			fmt.Fprint(e.stdout, help)
			return errHelp
		}
		return usagef("unknown subcommand %q: want serve", args[0])
	}
}

// checkLoopbackAddr refuses an --addr that is not HOST:PORT on a loopback
// host: the demo servers speak plain HTTP, which is allowed there only.
func checkLoopbackAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("--addr: want HOST:PORT: %v", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usagef("--addr: plain HTTP is allowed on a loopback address only (127.0.0.1, ::1, localhost), not %q", host)
	}
	return nil
}

// workDir returns dir, made if missing, or when dir is "" a new temporary
// directory named after prefix; done removes a temporary one.
func workDir(dir, prefix string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, os.MkdirAll(dir, 0o755)
	}
	d, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", nil, err
	}
	return d, func() { os.RemoveAll(d) }, nil
}
