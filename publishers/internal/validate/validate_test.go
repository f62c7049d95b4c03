package validate

import (
	"testing"

	"github.com/heraldhq/herald"
)

func TestProblems(t *testing.T) {
	var ps Problems
	if err := ps.Err("x"); err != nil {
		t.Fatalf("no problems: %v", err)
	}
	ps.Add("config.a", "required", "a is required")
	err := ps.Err("x")
	e, ok := err.(*herald.Error)
	if !ok || e.Code != herald.EVALIDATION || e.Message != "invalid x channel" || len(e.Details) != 1 || e.Details[0].Column != "config.a" {
		t.Fatalf("got %#v", err)
	}
}
