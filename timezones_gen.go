//go:build ignore

// timezones_gen.go writes timezones.txt, the IANA zone names that time-zone
// suggestions are drawn from (see SuggestZones), from the zone database of
// the Go toolchain that runs it: go generate (or go run timezones_gen.go).
package main

import (
	"archive/zip"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// regions are the areas of the names people use; the others are legacy
// aliases (US/Eastern, W-SU) that a suggestion should not spread.
var regions = []string{"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"}

func main() {
	root, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		log.Fatal(err)
	}
	z, err := zip.OpenReader(filepath.Join(strings.TrimSpace(string(root)), "lib", "time", "zoneinfo.zip"))
	if err != nil {
		log.Fatal(err)
	}
	defer z.Close()
	names := []string{"UTC"}
	for _, f := range z.File {
		region, _, ok := strings.Cut(f.Name, "/")
		if ok && slices.Contains(regions, region) && !strings.HasSuffix(f.Name, "/") {
			names = append(names, f.Name)
		}
	}
	slices.Sort(names)
	if err := os.WriteFile("timezones.txt", []byte(strings.Join(names, "\n")+"\n"), 0o644); err != nil {
		log.Fatal(err)
	}
}
