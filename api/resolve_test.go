package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

// A resolution's url must be an absolute http(s) URL: it is shown as a link
// in reports, so javascript:, data:, relative and host-less URLs are refused.
func TestDeliveryResolveURLScheme(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	e.putPlan("/api/v1/workspaces/acme/plans/p", jsonPlan("hello"), 200)
	id := e.finishFirstDelivery(herald.Result{Outcome: herald.OutcomeUnknown, Reason: "no answer"})
	path := fmt.Sprintf("/api/v1/workspaces/acme/deliveries/%d/resolve", id)
	for _, u := range []string{"javascript:alert(document.cookie)", "JavaScript:alert(1)", "data:text/html,<script>x</script>",
		"/relative/7", "https://", "ftp://example.com/7", "https://exa mple.com/7", "//example.com/7", "https://user:pw@example.com/7"} {
		r := must(t, e.do("POST", path, map[string]any{"remote_id": "7", "url": u}), 422)
		if !strings.Contains(r.String(), `"column":"url"`) {
			t.Errorf("%q: the problem should name the url: %s", u, r)
		}
	}
	must(t, e.do("POST", path, map[string]any{"remote_id": "7", "url": "https://t.me/brand/7"}), 200)
}
