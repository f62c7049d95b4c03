package publishers

import (
	"net/http"
	"testing"

	"github.com/heraldhq/herald/publishers/internal/conformance"
	"github.com/heraldhq/herald/publishers/threads"
	"github.com/heraldhq/herald/publishers/threads/threadsfake"
)

func init() {
	platforms = append(platforms, conformance.Entry{Name: "threads", Start: startThreads})
}

func startThreads(t *testing.T, client *http.Client) (conformance.Platform, conformance.Publisher) {
	fake := threadsfake.New(threadsfake.Options{PollsToFinish: 1})
	return containerPlatform{fake: fake, name: "threads", userKey: "user_id", permanent: "text is too long"},
		threads.New(threads.Options{HTTPClient: client, Wait: noWait})
}
