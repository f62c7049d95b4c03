package publishers

import (
	"net/http"
	"testing"

	"github.com/heraldhq/herald/publishers/internal/conformance"
	"github.com/heraldhq/herald/publishers/threads"
	"github.com/heraldhq/herald/publishers/threads/threadsfake"
)

func init() {
	platforms = append(platforms, conformance.Entry{Name: "threads", Start: startThreads, Replica: newThreads})
}

func startThreads(t *testing.T, client *http.Client, clock conformance.Clock) (conformance.Platform, conformance.Publisher) {
	fake := threadsfake.New(threadsfake.Options{PollsToFinish: 1, Now: clock.Now})
	p := containerPlatform{fake: fake, name: "threads", userKey: "user_id", permanent: "text is too long"}
	return p, newThreads(p, client, clock)
}

func newThreads(_ conformance.Platform, client *http.Client, clock conformance.Clock) conformance.Publisher {
	return threads.New(threads.Options{HTTPClient: client, Now: clock.Now, Wait: noWait})
}
