package contentplans

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// slotChannels are testChannels with weekly slots on tg-main and masto.
func slotChannels() map[string]*herald.Channel {
	chs := testChannels()
	chs["tg-main"].Slots = []herald.Slot{{Day: "mon", Time: "10:00"}}
	chs["masto"].Slots = []herald.Slot{{Day: "tue", Time: "18:30"}}
	return chs
}

func TestNextSlotRows(t *testing.T) {
	tests := []struct {
		name, format, body string
	}{
		{"json next", "json", `{"timezone": "Europe/Moscow", "posts": [{"key": "a", "at": "next", "channels": ["tg-main", "masto"], "text": "x"}]}`},
		{"json NEXT in capitals", "json", `{"posts": [{"key": "a", "at": "NEXT", "channels": ["tg-main", "masto"], "text": "x"}]}`},
		{"csv time next", "csv", csvHeader + "a,,next,tg-main;masto,x\n"},
		{"csv date next", "csv", csvHeader + "a,next,,tg-main;masto,x\n"},
		{"csv at next", "csv", "key,at,channels,text\na,next,\"tg-main,masto\",x\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := upload(tt.format, tt.body, "")
			up.Channels = slotChannels()
			_, posts, warnings := mustBuild(t, up)
			p := posts[0]
			if !p.NextSlot || p.At != "next" || !p.DueAt.IsZero() || strings.Join(p.Channels, ",") != "tg-main,masto" {
				t.Errorf("post %+v", p)
			}
			if len(warnings) != 0 {
				t.Errorf("warnings:\n%s", problemList(warnings))
			}
		})
	}
}

// Each target channel without slots is a problem naming it; channels with
// slots, unknown channels (reported on their own) and fixed-time rows are not.
func TestNextSlotNeedsSlots(t *testing.T) {
	body := jsonPlan(t, "Europe/Moscow",
		map[string]any{"key": "a", "at": "next", "channels": []string{"tg-main", "demo", "tg-raw", "demo"}, "text": "x"},
		map[string]any{"key": "b", "at": "2026-12-01 10:00", "channels": []string{"demo"}, "text": "x"},
		map[string]any{"key": "c", "at": "next", "channels": []string{"masto", "nope"}, "text": "x"},
	)
	up := upload("json", body, "")
	up.Channels = slotChannels()
	ps := mustFail(t, up)
	var got []string
	for _, p := range ps {
		got = append(got, p.Code+"@"+p.Column)
		if p.Code == "no_slots" && p.Row != 1 {
			t.Errorf("no_slots on row %d", p.Row)
		}
	}
	if strings.Join(got, " ") != "no_slots@channels no_slots@channels unknown_channel@channels" {
		t.Fatalf("problems:\n%s", problemList(ps))
	}
	if !strings.Contains(ps[0].Message, "channel demo has no posting slots") || !strings.Contains(ps[1].Message, "channel tg-raw") {
		t.Errorf("messages:\n%s", problemList(ps))
	}
}

func TestPlanStart(t *testing.T) {
	tests := []struct {
		name, tz, start string
		want            string // RFC 3339 UTC; "" for none
		warning         string
	}{
		{"none", "Europe/Berlin", "", "", ""},
		{"local in the plan zone", "Europe/Berlin", "2026-12-07 09:00", "2026-12-07T08:00:00Z", ""},
		{"a date is its midnight", "America/New_York", "2026-12-07", "2026-12-07T05:00:00Z", ""},
		{"RFC 3339 as is", "Europe/Berlin", "2026-12-07T09:00:00+03:00", "2026-12-07T06:00:00Z", ""},
		{"instant needs no zone", "", "2026-12-07T09:00:00Z", "2026-12-07T09:00:00Z", ""},
		{"Moscow", "Europe/Moscow", "2026-03-29 02:30", "2026-03-28T23:30:00Z", ""},
		{"fall-back takes the earlier", "America/New_York", "2026-11-01 01:30", "2026-11-01T05:30:00Z", "ambiguous_time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := map[string]any{"timezone": tt.tz, "start": tt.start,
				"posts": []any{map[string]any{"key": "a", "at": "next", "channels": []string{"tg-main"}, "text": "x"}}}
			body, _ := json.Marshal(plan)
			up := upload("json", string(body), "")
			up.Channels = slotChannels()
			got, _, warnings := mustBuild(t, up)
			switch {
			case tt.want == "" && got.Start != nil:
				t.Errorf("start %v, want none", got.Start)
			case tt.want != "" && (got.Start == nil || got.Start.Format(time.RFC3339) != tt.want || got.Start.Location() != time.UTC):
				t.Errorf("start %v, want %s", got.Start, tt.want)
			}
			if tt.warning == "" && len(warnings) > 0 || tt.warning != "" &&
				(len(warnings) != 1 || warnings[0].Code != tt.warning || warnings[0].Column != "start" || warnings[0].Row != 0) {
				t.Errorf("warnings:\n%s", problemList(warnings))
			}
		})
	}
}

func TestPlanStartProblems(t *testing.T) {
	tests := []struct {
		name, tz, start, code, mention string
	}{
		{"spring-forward gap", "Europe/Berlin", "2026-03-29 02:30", "nonexistent_time", "forward 1h"},
		{"New York gap", "America/New_York", "2026-03-08 02:00", "nonexistent_time", "2026-03-08 02:00"},
		{"not a time", "Europe/Berlin", "soon", "invalid_time", "RFC 3339"},
		{"local without a zone", "", "2026-12-07 09:00", "required", "no time zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := map[string]any{"timezone": tt.tz, "start": tt.start,
				"posts": []any{map[string]any{"key": "a", "at": "next", "channels": []string{"tg-main"}, "text": "x"}}}
			body, _ := json.Marshal(plan)
			up := upload("json", string(body), "")
			up.Channels = slotChannels()
			ps := mustFail(t, up)
			if len(ps) != 1 || ps[0].Row != 0 || ps[0].Column != "start" || ps[0].Code != tt.code || !strings.Contains(ps[0].Message, tt.mention) {
				t.Errorf("want %s on start mentioning %q; got:\n%s", tt.code, tt.mention, problemList(ps))
			}
		})
	}
	up := upload("json", `{"start": 5, "posts": []}`, "UTC")
	if ps := mustFail(t, up); len(ps) != 1 || ps[0].Column != "start" || ps[0].Code != "invalid_type" {
		t.Errorf("numeric start:\n%s", problemList(ps))
	}
}
