package contentplans

import (
	"fmt"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

// A file of a hundred thousand bad lines answers MaxProblems problems and a count
// of the rest, not a million problems.
func TestProblemsAreCapped(t *testing.T) {
	for _, c := range []struct {
		format, body string
	}{
		{"csv", csvHeader + strings.Repeat("a\"b\n", 100_000)},
		{"json", `{"posts":[` + strings.Repeat(`{},`, 100_000) + `{}]}`},
	} {
		_, _, _, err := Build(upload(c.format, c.body, "UTC"))
		ps := herald.ErrorDetails(err)
		if len(ps) != MaxProblems+1 || ps[len(ps)-1].Code != "too_many_problems" || !strings.Contains(ps[len(ps)-1].Message, "more problems not listed") {
			t.Fatalf("%s: %d problems, the last %+v", c.format, len(ps), ps[len(ps)-1])
		}
		if msg := herald.ErrorMessage(err); !strings.HasPrefix(msg, "plan has ") || len(msg) < len("plan has 100000 problems") {
			t.Errorf("%s: message %q should count every problem", c.format, msg)
		}
	}
}

// A channels cell of 10,000 names is one problem, found at once; one of
// 100,000 is too long a cell to be read at all.
func TestChannelCellIsBounded(t *testing.T) {
	for n, code := range map[int]string{10_000: "too_many_channels", 100_000: "too_long"} {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("ch-%d", i)
		}
		body := "key,at,channels,text\na,2099-12-01 10:00,\"" + strings.Join(names, ",") + "\",Hi\n"
		ps := mustFail(t, upload("csv", body, "UTC"))
		if len(ps) != 1 || ps[0].Code != code || ps[0].Column != "channels" {
			t.Errorf("%d names: problems: %s", n, problemList(ps))
		}
	}
	// Up to the bound, repeated names count once.
	body := "key,at,channels,text\na,2099-12-01 10:00,\"tg-main,tg-main,masto,tg-main\",Hi\n"
	if _, posts, _ := mustBuild(t, upload("csv", body, "UTC")); len(posts[0].Channels) != 2 {
		t.Errorf("channels %v", posts[0].Channels)
	}
}
