package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/heraldhq/herald"
	contentplans "github.com/heraldhq/herald/content-plans"
)

// lint checks a plan file offline with contentplans.Build, as the server
// would, against the channels named by --channels (name=platform). Without
// --channels every channel the file names is taken to exist, on a platform
// not known (herald.PlanUpload.AnyChannel): the check covers format, times,
// keys and URLs but not channel names, platform limits or variants.
// Channels' posting slots are not known offline: "next free slot" rows are
// accepted as they are. Problems speak of lint's flags (see problemPrinter).
func (p *planCmd) lint(args []string) int {
	fs := p.newFlagSet("lint")
	channels := fs.String("channels", "", "the workspace's channels as name=platform,... (default: every channel the file names, with no platform limits)")
	tz := fs.String("timezone", "UTC", "time zone of local times when the plan names none")
	profile := fs.String("format", "", "import profile: herald, hootsuite or publer (default: detected from the header)")
	dateOrder := fs.String("date-order", "", "dmy or mdy: how to read dates such as 12/4/2027, day or month first")
	sheet := fs.String("sheet", "", "XLSX or ODS sheet to read (default: the first)")
	encoding := fs.String("encoding", "", "a CSV file's character encoding: utf-8, windows-1251, koi8-r… (default: UTF-8, or Windows-1251 when the file reads so)")
	annotations := fs.String("annotations", "", "github: print problems as GitHub Actions annotations")
	pos, err := parseArgs(fs, args, "FILE")
	if err != nil {
		return p.usageErr("lint", err)
	}
	file := pos[0]
	err = checkProfile(*profile, *dateOrder)
	if err == nil {
		err = checkAnnotations(*annotations)
	}
	if err == nil {
		_, err = herald.LoadLocation(*tz)
		if err != nil {
			err = fmt.Errorf("--timezone: %v", err)
		}
	}
	if err != nil {
		return p.usageErr("lint", err)
	}
	chans, names, err := lintChannels(*channels)
	if err != nil {
		return p.usageErr("lint", err)
	}
	for _, ch := range chans {
		if _, ok := contentplans.Limits[ch.Platform]; !ok {
			fmt.Fprintf(p.stderr, "herald plan lint: no limits known for platform %q (channel %s); its lengths are not checked\n", ch.Platform, ch.Name)
		}
	}
	body, err := os.ReadFile(file)
	if err != nil {
		return p.usageErr("lint", err)
	}
	format, _, err := fileFormat(file, body)
	if err != nil {
		return p.usageErr("lint", err)
	}
	up := herald.PlanUpload{
		Key: planKeyOf(file), Body: body, Format: format, Timezone: *tz, Channels: chans, Now: p.now(),
		Profile: *profile, Sheet: *sheet, Encoding: *encoding, DateOrder: *dateOrder, DefaultChannels: names,
		AnyChannel: *channels == "",
	}
	_, posts, warnings, err := contentplans.Build(up)
	pp := problemPrinter{w: p.stdout, file: file, json: format == "json", github: *annotations == "github", flags: lintFlags}
	if err != nil && herald.ErrorCode(err) != herald.EVALIDATION {
		fmt.Fprintf(p.stderr, "herald plan lint: %s: %s\n", file, herald.ErrorMessage(err))
		return exitUsage
	}
	pp.errors(herald.ErrorDetails(err))
	warnings = append(warnings, herald.DerivedKeyWarnings(posts, format, *profile)...)
	pp.warnings(warnings)
	if n := len(herald.ErrorDetails(err)); n > 0 {
		fmt.Fprintf(p.stderr, "%s: %s\n", file, plural(n, "problem"))
		return exitFail
	}
	fmt.Fprintf(p.stderr, "%s: %s, no problems", file, plural(len(posts), "post"))
	if n := len(warnings); n > 0 {
		fmt.Fprintf(p.stderr, ", %s", plural(n, "warning"))
	}
	fmt.Fprintln(p.stderr)
	return exitOK
}

// lintChannels parses --channels name=platform,... into the channels map
// and the names in order (the default channels of profiles without a
// channel column). A name without "=platform" is an outbox channel.
func lintChannels(spec string) (map[string]*herald.Channel, []string, error) {
	chans := map[string]*herald.Channel{}
	var names []string
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, platform, ok := strings.Cut(item, "=")
		name, platform = strings.TrimSpace(name), strings.TrimSpace(platform)
		if !ok {
			platform = "outbox"
		}
		if !herald.ValidName(name) || platform == "" {
			return nil, nil, fmt.Errorf("--channels %q: want name=platform,... (e.g. tg-main=telegram,masto=mastodon)", spec)
		}
		if _, dup := chans[name]; dup {
			return nil, nil, fmt.Errorf("--channels: channel %q is named twice", name)
		}
		chans[name] = lintChannel(name, platform)
		names = append(names, name)
	}
	return chans, names, nil
}

// lintChannel is a channel as lint assumes it. Offline, the channel's
// posting slots are unknown: it gets one placeholder slot so "next free
// slot" rows are accepted (the server places them, and reports channels
// without slots).
func lintChannel(name, platform string) *herald.Channel {
	return &herald.Channel{Name: name, Platform: platform, Slots: []herald.Slot{{Day: "mon", Time: "10:00"}}}
}

// planKeyOf is the default plan key of a file: its name without extension.
func planKeyOf(file string) string {
	base := filepath.Base(file)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "y") {
		return strconv.Itoa(n) + " " + strings.TrimSuffix(what, "y") + "ies"
	}
	return strconv.Itoa(n) + " " + what + "s"
}
