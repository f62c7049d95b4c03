package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
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

// compose.yaml runs three replicas on one PostgreSQL: each its own node
// name, all the same database and the same secret key (the channels'
// credentials are sealed with it).
func TestComposeRunsThreeReplicasOnOnePostgres(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Build       string            `yaml:"build"`
			Image       string            `yaml:"image"`
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatal(err)
	}
	nodes, dbs, keys := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for name, s := range compose.Services {
		if !strings.HasPrefix(name, "herald") {
			if !strings.HasPrefix(s.Image, "postgres:") {
				t.Errorf("service %s: %s, want only PostgreSQL beside the replicas", name, s.Image)
			}
			continue
		}
		if s.Build != "." {
			t.Errorf("%s builds %q, want this repository's Dockerfile", name, s.Build)
		}
		nodes[s.Environment["HERALD_NODE"]] = true
		dbs[s.Environment["HERALD_DATABASE_URL"]] = true
		keys[s.Environment["HERALD_SECRET_KEY"]] = true
	}
	if len(nodes) != 3 || nodes[""] {
		t.Errorf("node names %v: want three, each its own", nodes)
	}
	for url := range dbs {
		if len(dbs) != 1 || !strings.HasPrefix(url, "postgres://") {
			t.Errorf("databases %v: want one PostgreSQL URL for all", dbs)
		}
	}
	if len(keys) != 1 || keys[""] {
		t.Errorf("secret keys %v: want one, the same for all", keys)
	}
}
