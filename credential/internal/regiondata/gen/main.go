// Command gen rebuilds regions.tsv.gz, the embedded table of Kemendagri
// province, regency/city and district (kecamatan) codes used by package
// credential to validate NIK region prefixes.
//
// It reads the MySQL dumps of the public dataset github.com/cahyadsn/wilayah
// (MIT licence): the current list db/wilayah.sql and the historical lists
// db/archive/wilayah_{2016,2018,2020,2022,2023}.sql. Codes of the first three
// levels (PP, PP.KK, PP.KK.CC) from every list are merged: NIKs keep the code
// of their place of first registration for life, so a code that has since
// been renumbered (for example after the 2022 Papua split) must still be
// accepted. Each row records in which lists the code appears and the name
// from the newest list that has it.
//
// Usage (see ../README.md):
//
//	go run ./gen -src /path/to/wilayah-checkout -commit <sha> -out regions.tsv.gz
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// vintages lists the input files, oldest first, with the bit each sets in
// the row's mask. The bit order is part of the table format (see README).
var vintages = []struct {
	file string
	bit  uint
}{
	{"db/archive/wilayah_2016.sql", 0}, // Permendagri 56/2015
	{"db/archive/wilayah_2018.sql", 1}, // Permendagri 137/2017
	{"db/archive/wilayah_2020.sql", 2}, // Permendagri 72/2019
	{"db/archive/wilayah_2022.sql", 3}, // Permendagri 58/2021
	{"db/archive/wilayah_2023.sql", 4}, // Kepmendagri 100.1.1-6117/2022
	{"db/wilayah.sql", 5},              // Kepmendagri 300.2.2-2138/2025 (current)
}

// row matches one SQL tuple of a level-1..3 code: ('11.01.01','Bakongan') or
// ("11.01.01","Bakongan"), with doubled or backslash-escaped quotes inside
// the name.
var row = regexp.MustCompile(`^\s*\(\s*(['"])(\d{2}(?:\.\d{2}){0,2})(['"])\s*,\s*(['"])((?:[^'"\\]|\\.|'')*)(['"])\s*\)`)

// junkSuffix strips the stray counts some 2016 rows carry ("Ma'u  11").
var junkSuffix = regexp.MustCompile(`\s{2,}\d+$`)

type entry struct {
	name string
	mask uint
}

func main() {
	src := flag.String("src", "", "directory of a cahyadsn/wilayah checkout")
	commit := flag.String("commit", "", "commit of the checkout (recorded in the table header)")
	out := flag.String("out", "regions.tsv.gz", "output file")
	flag.Parse()
	if *src == "" || *commit == "" {
		log.Fatal("gen: -src and -commit are required")
	}
	table := map[string]*entry{}
	for _, v := range vintages {
		f, err := os.Open(filepath.Join(*src, v.file))
		if err != nil {
			log.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		n := 0
		for sc.Scan() {
			m := row.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			code, name := m[2], clean(m[5])
			if name == "" || strings.ContainsAny(name, "\t\n") {
				log.Fatalf("gen: %s: bad name for %s: %q", v.file, code, m[5])
			}
			e := table[code]
			if e == nil {
				e = &entry{}
				table[code] = e
			}
			e.mask |= 1 << v.bit
			e.name = name // newer lists come later and win
			n++
		}
		if err := sc.Err(); err != nil {
			log.Fatal(err)
		}
		f.Close()
		if n < 7000 {
			log.Fatalf("gen: %s: only %d rows matched; has the dump format changed?", v.file, n)
		}
	}
	codes := make([]string, 0, len(table))
	for c := range table {
		codes = append(codes, c)
	}
	sort.Strings(codes)

	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Kemendagri region codes, levels 1-3, from github.com/cahyadsn/wilayah@%s (MIT, Copyright (c) 2017-2025 Cahya DSN)\n", *commit)
	fmt.Fprintf(&buf, "# columns: code TAB mask TAB name; mask bit 0..5 = lists 2016,2018,2020,2022,2023,2025(current)\n")
	for _, c := range codes {
		e := table[c]
		fmt.Fprintf(&buf, "%s\t%02x\t%s\n", c, e.mask, e.name)
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		log.Fatal(err)
	}
	// No name or mtime in the header: the output is reproducible.
	if _, err := zw.Write(buf.Bytes()); err != nil {
		log.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, gz.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("gen: %d codes, %d bytes raw, %d bytes gzip", len(codes), buf.Len(), gz.Len())
}

// clean unescapes a SQL string literal body and normalises spaces.
func clean(s string) string {
	s = strings.ReplaceAll(s, `\'`, `'`)
	s = strings.ReplaceAll(s, `\"`, `"`)
	s = strings.ReplaceAll(s, `''`, `'`)
	s = junkSuffix.ReplaceAllString(s, "")
	return strings.Join(strings.Fields(s), " ")
}
