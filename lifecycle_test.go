package herald

import "testing"

// TestStatusSetsAreInTheLifecycle checks that every named set holds known
// statuses only, and that the transitions the sets imply are allowed.
func TestStatusSetsAreInTheLifecycle(t *testing.T) {
	sets := map[string]StatusSet{"Waiting": Waiting, "Finished": Finished, "Live": Live, "Unpublished": Unpublished,
		"MaybeOnPlatform": MaybeOnPlatform, "SlotFreeing": SlotFreeing, "NeedsAttention": NeedsAttention,
		"Retryable": Retryable, "Cancellable": Cancellable, "Reschedulable": Reschedulable}
	for name, set := range sets {
		if len(set) == 0 {
			t.Errorf("%s is empty", name)
		}
		for _, s := range set {
			if !s.Valid() {
				t.Errorf("%s holds %q, not a status", name, s)
			}
		}
	}
	implied := []struct {
		from StatusSet
		to   DeliveryStatus
	}{
		{Waiting, StatusPublishing}, {Waiting, StatusMissed}, {Unpublished, StatusCancelled},
		{Retryable, StatusScheduled}, {Cancellable, StatusCancelled}, {Reschedulable, StatusScheduled},
		{StatusSet{StatusCreated}, StatusScheduled},
	}
	for _, c := range implied {
		for _, from := range c.from {
			if !Transition(from, c.to) {
				t.Errorf("%q → %q is used but not in the transition table", from, c.to)
			}
		}
	}
	// Unpublished and MaybeOnPlatform split what is not finished by a person's choice.
	for _, s := range Statuses {
		if Unpublished.Has(s) && MaybeOnPlatform.Has(s) {
			t.Errorf("%s is both unpublished and maybe on the platform", s)
		}
	}
	for _, s := range Statuses {
		if s.Final() != Finished.Has(s) {
			t.Errorf("Final(%s) disagrees with Finished", s)
		}
	}
}

// TestPublishedIsForever: nothing leaves published (never posted twice), and
// nothing but an attempt's outcome or a reconciliation reaches it.
func TestPublishedIsForever(t *testing.T) {
	for _, to := range Statuses {
		if Transition(StatusPublished, to) {
			t.Errorf("published → %s is allowed", to)
		}
	}
	for _, from := range append(StatusSet{StatusCreated}, Statuses...) {
		if Transition(from, StatusPublished) && from != StatusPublishing && from != StatusUnknown {
			t.Errorf("%q → published is allowed", from)
		}
	}
	if Transition(StatusCreated, StatusPublishing) || Transition(StatusCancelled, StatusPublishing) {
		t.Error("only a waiting delivery may be claimed")
	}
}
