package publishers

import (
	"testing"

	"github.com/heraldhq/herald/publishers/internal/conformance"
	"github.com/heraldhq/herald/publishers/internal/testkit"
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

// TestConformanceLostAnswerCoversTheRegistry fails when an adapter in
// Registry that is not idempotent could skip the lost-answer scenarios:
// its conformance Platform must script LostAnswer (a FaultLister leaving
// it out is refused here; a Script that ignores it fails the scenario,
// which then sees the post published), and the publisher the Platform is
// tested with must be as idempotent as the Registry's.
func TestConformanceLostAnswerCoversTheRegistry(t *testing.T) {
	entries := map[string]conformance.Entry{}
	for _, e := range platforms {
		entries[e.Name] = e
	}
	checked := 0
	for name, newPublisher := range Registry {
		if newPublisher(Options{}).Idempotent() {
			continue
		}
		checked++
		e, ok := entries[name]
		if !ok {
			t.Errorf("platform %q is not idempotent but has no conformance platform to check its lost answers", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			p, pub := e.Start(t, testkit.Loopback, conformance.RealClock)
			defer p.Close()
			if pub.Idempotent() {
				t.Errorf("the conformance publisher is idempotent, Registry's is not")
			}
			if !conformance.ScriptsLostAnswer(p) {
				t.Errorf("not idempotent, but the conformance platform does not script %s: a lost answer must be checked to be unknown", conformance.LostAnswer)
			}
		})
	}
	if checked == 0 {
		t.Fatal("no adapter in Registry is non-idempotent: the test checks nothing")
	}
}
