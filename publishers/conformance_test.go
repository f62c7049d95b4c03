package publishers

import (
	"testing"

	"github.com/heraldhq/herald/publishers/internal/conformance"
)

// platforms are the adapters the conformance scenarios run over; each
// registers itself from its own conformance_<platform>_test.go.
var platforms []conformance.Entry

// TestConformance runs the same scenarios (see package conformance) over
// every registered platform.
func TestConformance(t *testing.T) {
	if len(platforms) == 0 {
		t.Fatal("no platform registered")
	}
	seen := map[string]bool{}
	for _, e := range platforms {
		if seen[e.Name] {
			t.Fatalf("platform %q registered twice", e.Name)
		}
		seen[e.Name] = true
		t.Run(e.Name, func(t *testing.T) { conformance.Run(t, e) })
	}
}

// TestConformanceCoversTheRegistry fails when an adapter in Registry has
// no conformance platform.
func TestConformanceCoversTheRegistry(t *testing.T) {
	registered := map[string]bool{}
	for _, e := range platforms {
		registered[e.Name] = true
	}
	for name := range Registry {
		if !registered[name] {
			t.Errorf("platform %q is in Registry but not in the conformance tests", name)
		}
	}
}
