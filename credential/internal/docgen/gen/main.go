// Command gen writes the files of package docgen (Type Metadata, JSON
// Schemas, docs/credentials.md) under the repository root given by -root.
// It runs from package credential: go generate ./credential.
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"

	"github.com/ikdkit/ikdkit/credential/internal/docgen"
)

func main() {
	root := flag.String("root", "..", "repository root")
	flag.Parse()
	files, err := docgen.Files()
	if err != nil {
		log.Fatal(err)
	}
	for name, b := range files {
		p := filepath.Join(*root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
