// Command ikd is the ikdkit command-line tool.
//
// Usage:
//
//	ikd demo    run the issue → present → verify story offline and narrate it
//	ikd help    show this help
//
// Every command exits with status 0 only if it did what it says.
package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, time.Now))
}

const usage = `ikd: Indonesian digital identity (IKD) as verifiable credentials

Usage:
  ikd demo    issue a KTP-el SD-JWT VC, present it with key binding, verify it
  ikd help    show this help
`

// run is main without process globals, so tests can call it.
func run(args []string, stdout, stderr io.Writer, now func() time.Time) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "demo":
		if err := demo(stdout, now()); err != nil {
			fmt.Fprintf(stderr, "ikd demo: %v\n", err)
			return 1
		}
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "ikd: unknown command %q\n\n%s", args[0], usage)
	return 2
}
