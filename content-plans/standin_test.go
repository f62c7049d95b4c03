package contentplans

import (
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

// standIns are exampleChannels as outbox channels standing in for their
// platforms (config "as").
func standIns() map[string]*herald.Channel {
	out := map[string]*herald.Channel{}
	for name, ch := range exampleChannels() {
		cfg := map[string]any{}
		for k, v := range ch.Config {
			cfg[k] = v
		}
		if ch.Platform != herald.StandIn {
			cfg["as"] = ch.Platform
		}
		out[name] = &herald.Channel{Name: name, Platform: herald.StandIn, Config: cfg, Slots: ch.Slots}
	}
	return out
}

// The December plan checks the same on stand-ins as on the real channels:
// variants are used, no warning about them, the same posts.
func TestStandInsCheckAsTheirPlatform(t *testing.T) {
	up := exampleUpload(t, "csv", "december.csv")
	_, real, realWarn := mustBuild(t, up)
	up.Channels = standIns()
	_, stand, standWarn := mustBuild(t, up)
	if len(standWarn) != len(realWarn) || len(stand) != len(real) {
		t.Errorf("stand-ins: %d posts, warnings:\n%s\nreal channels: %d posts, warnings:\n%s", len(stand), problemList(standWarn), len(real), problemList(realWarn))
	}

	// A text too long for Telegram is too long for its stand-in, and a vk
	// variant is used by the vk stand-in.
	body := "key,at,channels,text,text:vk\nlong,2099-12-01 10:00,tg-main,\"" + strings.Repeat("ж", 4097) + "\",\nvk,2099-12-02 10:00,vk-group,Hello,Привет\n"
	up = herald.PlanUpload{Key: "p", Body: []byte(body), Format: "csv", Timezone: "UTC", Channels: standIns(), Now: testNow}
	_, _, warnings, err := Build(up)
	ps := herald.ErrorDetails(err)
	if len(ps) != 1 || ps[0].Code != "too_long" || ps[0].Row != 2 || !strings.Contains(ps[0].Message, "telegram channel tg-main") {
		t.Errorf("problems: %s", problemList(ps))
	}
	for _, w := range warnings {
		if w.Code == "unused_variant" {
			t.Errorf("warning on a stand-in's own variant: %+v", w)
		}
	}
}
