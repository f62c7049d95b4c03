package herald_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestWorkspaceValidateListsEveryProblem(t *testing.T) {
	ws := herald.Workspace{Slug: "Bad Slug", Timezone: "Mars/Base", MaxLateness: -1,
		ApprovalSteps: []herald.ApprovalStep{{Name: "client", Roles: []herald.Role{"boss"}}}}
	err := ws.Validate()
	if herald.ErrorCode(err) != herald.EVALIDATION {
		t.Fatalf("code %q", herald.ErrorCode(err))
	}
	cols := map[string]bool{}
	for _, p := range herald.ErrorDetails(err) {
		cols[p.Column] = true
	}
	for _, c := range []string{"slug", "name", "timezone", "max_lateness", "approval_required", "approval_steps[0].roles[0]"} {
		if !cols[c] {
			t.Errorf("no problem for %s: %v", c, herald.ErrorDetails(err))
		}
	}
	ok := herald.Workspace{Slug: "brand", Name: "Brand", Timezone: "Europe/Moscow"}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid workspace: %v", err)
	}
}

func TestChannelValidate(t *testing.T) {
	ch := herald.Channel{Name: "tg-main", Platform: "telegram", Timezone: "Europe/Berlin",
		Slots: []herald.Slot{{Day: "mon", Time: "10:00"}, {Day: "funday", Time: "25:00"}}}
	ps := herald.ErrorDetails(ch.Validate())
	if len(ps) != 2 || ps[0].Column != "slots[1].day" || ps[1].Column != "slots[1].time" {
		t.Fatalf("problems %+v", ps)
	}
	if _, err := herald.LoadLocation("Local"); err == nil {
		t.Error("Local accepted as a time zone")
	}
}

func TestConfigString(t *testing.T) {
	var ch herald.Channel
	if err := json.Unmarshal([]byte(`{"config":{"chat_id":-1001234567890,"name":"@brand"}}`), &ch); err != nil {
		t.Fatal(err)
	}
	if got := ch.ConfigString("chat_id"); got != "-1001234567890" {
		t.Errorf("numeric chat id = %q", got)
	}
	if ch.ConfigString("name") != "@brand" || ch.ConfigString("missing") != "" {
		t.Errorf("string config wrong")
	}
}

func TestMessageBodyAndVariants(t *testing.T) {
	p := herald.Post{Text: "Hello", Link: "https://example.com/a",
		Variants: map[string]herald.Variant{"mastodon": {Text: "Hi fediverse https://example.com/a"}}}
	if got := p.Message("telegram").Body(); got != "Hello\n\nhttps://example.com/a" {
		t.Errorf("telegram body %q", got)
	}
	if got := p.Message("mastodon").Body(); got != "Hi fediverse https://example.com/a" {
		t.Errorf("mastodon body (link already in the text) %q", got)
	}
}

func TestPostHashIgnoresRowAndChannelOrder(t *testing.T) {
	due := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)
	a := herald.Post{Key: "k", Row: 2, DueAt: due, Channels: []string{"a", "b"}, Text: "x"}
	b := herald.Post{Key: "k", Row: 9, DueAt: due.In(time.FixedZone("MSK", 3*3600)), Channels: []string{"b", "a"}, Text: "x"}
	if a.Hash() != b.Hash() {
		t.Error("row number, zone or channel order changed the hash")
	}
	b.Text = "y"
	if a.Hash() == b.Hash() {
		t.Error("a text change did not change the hash")
	}
}

func TestErrorHelpers(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", herald.Errorf(herald.ENOTFOUND, "channel %q not found", "x"))
	if herald.ErrorCode(err) != herald.ENOTFOUND || herald.ErrorMessage(err) != `channel "x" not found` {
		t.Errorf("code %q message %q", herald.ErrorCode(err), herald.ErrorMessage(err))
	}
	if herald.ErrorCode(errors.New("disk on fire")) != herald.EINTERNAL || herald.ErrorMessage(errors.New("disk on fire")) != "internal error" {
		t.Error("a plain error must be internal and not shown")
	}
}

func TestDurationJSON(t *testing.T) {
	var v struct{ D herald.Duration }
	if err := json.Unmarshal([]byte(`{"D":"90m"}`), &v); err != nil || time.Duration(v.D) != 90*time.Minute {
		t.Fatalf("%v %v", v.D, err)
	}
	if err := json.Unmarshal([]byte(`{"D":"soon"}`), &v); err == nil {
		t.Error("bad duration accepted")
	}
	b, _ := json.Marshal(v)
	if string(b) != `{"D":"1h30m0s"}` {
		t.Errorf("marshal %s", b)
	}
}

func TestDerivedKeyWarnings(t *testing.T) {
	one := []herald.Post{{Row: 2, Key: "k"}, {Row: 3, Key: "row-3-abcd1234", KeyDerived: true}}
	ws := herald.DerivedKeyWarnings(one, "csv", "")
	if len(ws) != 1 || ws[0].Row != 3 || ws[0].Code != "derived_key" || !strings.Contains(ws[0].Message, "row-3-abcd1234") ||
		!strings.Contains(ws[0].Message, "key column") {
		t.Errorf("one derived key: %+v", ws)
	}
	all := []herald.Post{{Row: 1, Key: "row-1-a", KeyDerived: true}, {Row: 2, Key: "row-2-b", KeyDerived: true}}
	ws = herald.DerivedKeyWarnings(all, "csv", "hootsuite")
	if len(ws) != 1 || ws[0].Row != 0 || !strings.Contains(ws[0].Message, "all 2 rows") || !strings.Contains(ws[0].Message, "hootsuite file") {
		t.Errorf("keyless file: %+v", ws)
	}
	if ws := herald.DerivedKeyWarnings(all[:1], "json", ""); len(ws) != 1 || !strings.Contains(ws[0].Message, "key field") {
		t.Errorf("json: %+v", ws)
	}
}

// An outbox channel with config "as" follows that platform's text; any
// other channel follows its own.
func TestChannelTextPlatform(t *testing.T) {
	for _, c := range []struct {
		ch   herald.Channel
		want string
	}{
		{herald.Channel{Platform: "vk"}, "vk"},
		{herald.Channel{Platform: "vk", Config: map[string]any{"as": "telegram"}}, "vk"},
		{herald.Channel{Platform: "outbox"}, "outbox"},
		{herald.Channel{Platform: "outbox", Config: map[string]any{"as": "vk"}}, "vk"},
	} {
		if got := c.ch.TextPlatform(); got != c.want {
			t.Errorf("%+v: TextPlatform() = %q, want %q", c.ch, got, c.want)
		}
	}
}

func TestParseWeekday(t *testing.T) {
	for in, want := range map[string]string{
		"mon": "mon", "Mon": "mon", "MONDAY": "mon", "Mon.": "mon", "пн": "mon", "Понедельник": "mon",
		"tues": "tue", "вт": "tue", "Wednesday": "wed", "среда": "wed", "Thurs": "thu", "чт": "thu",
		"friday": "fri", "пятница": "fri", "Sat": "sat", "сб": "sat", "sunday": "sun", "Воскресенье": "sun", " вс ": "sun",
	} {
		if got, ok := herald.ParseWeekday(in); !ok || got != want {
			t.Errorf("ParseWeekday(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "someday", "m", "monday2"} {
		if got, ok := herald.ParseWeekday(bad); ok {
			t.Errorf("ParseWeekday(%q) = %q, want none", bad, got)
		}
	}
	ch := herald.Channel{Name: "tg", Platform: "telegram", Slots: []herald.Slot{{Day: "Понедельник", Time: "9:30"}, {Day: "Fri", Time: "18.00"}}}
	ch.Normalize()
	if err := ch.Validate(); err != nil || ch.Slots[0] != (herald.Slot{Day: "mon", Time: "09:30"}) || ch.Slots[1] != (herald.Slot{Day: "fri", Time: "18:00"}) {
		t.Errorf("normalized slots %+v, %v", ch.Slots, err)
	}
}

// What a client stores is bounded: a workspace's name, a channel's slots,
// config and credentials.
func TestStoredFieldsAreBounded(t *testing.T) {
	ws := herald.Workspace{Slug: "a", Name: strings.Repeat("я", herald.MaxNameLength+1), Timezone: "UTC"}
	if ps := herald.ErrorDetails(ws.Validate()); len(ps) != 1 || ps[0].Code != "too_long" {
		t.Errorf("long name: %+v", ps)
	}
	ws.Name = strings.Repeat("я", herald.MaxNameLength)
	if err := ws.Validate(); err != nil {
		t.Errorf("name at the bound: %v", err)
	}
	slots := make([]herald.Slot, herald.MaxSlots+1)
	for i := range slots {
		slots[i] = herald.Slot{Day: "mon", Time: "10:00"}
	}
	ch := herald.Channel{Name: "c", Platform: "outbox", Slots: slots,
		Config: map[string]any{"x": strings.Repeat("a", herald.MaxConfigBytes)}, Credentials: map[string]string{"t": strings.Repeat("a", herald.MaxConfigBytes)}}
	if ps := herald.ErrorDetails(ch.Validate()); len(ps) != 1 || ps[0].Column != "slots" {
		t.Errorf("too many slots: %+v", ps)
	}
	ch.Slots = slots[:herald.MaxSlots]
	var cols []string
	for _, p := range herald.ErrorDetails(ch.Validate()) {
		cols = append(cols, p.Column)
	}
	if strings.Join(cols, ",") != "config,credentials" {
		t.Errorf("large config and credentials: %v", cols)
	}
}
