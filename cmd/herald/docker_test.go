package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// No Docker engine runs the tests, so this reads the Dockerfile: its
// HEALTHCHECK runs a herald command that exists, and the build context
// leaves out the data directory, the secret key, Git and built binaries.
func TestDockerfileHealthcheckAndIgnore(t *testing.T) {
	root := filepath.Join("..", "..")
	df, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^HEALTHCHECK .*\\\n\s+CMD (\[.*\])$`).FindSubmatch(df)
	if m == nil {
		t.Fatal("Dockerfile has no HEALTHCHECK … CMD [exec form]")
	}
	var argv []string
	if err := json.Unmarshal(m[1], &argv); err != nil || len(argv) < 2 || argv[0] != "/usr/local/bin/herald" {
		t.Fatalf("HEALTHCHECK CMD %s: want [\"/usr/local/bin/herald\", …] (%v)", m[1], err)
	}
	if code, _, errs := runHerald(t, append(argv[1:], "--help")...); code != exitOK {
		t.Errorf("HEALTHCHECK runs herald %v, which is no command: exit %d %s", argv[1:], code, errs)
	}

	ignore, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(ignore), "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, want := range []string{"data", "**/secret.key", "**/*.db", ".git", "herald", "cmd/herald/herald"} {
		if !lines[want] {
			t.Errorf(".dockerignore does not list %q", want)
		}
	}
}
