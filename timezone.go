package herald

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:generate go run timezones_gen.go

// timezones are the IANA zone names suggestions are drawn from, one a line
// (written by timezones_gen.go from the Go toolchain's zone database).
//
//go:embed timezones.txt
var timezones string

// LoadLocation loads an IANA time zone by name. Unlike time.LoadLocation it
// refuses "" and "Local", which would depend on the server's settings, and
// a name that differs from an IANA name only in case ("europe/moscow", which
// loads on a case-insensitive file system only). The error of an unknown
// name suggests the IANA name meant, where one is clear (see SuggestZones).
func LoadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("time zone %q is not an IANA zone name (e.g. Europe/Berlin)", name)
	}
	loc, err := time.LoadLocation(name)
	if err == nil {
		if z := zoneNames().byLower[strings.ToLower(name)]; z == "" || z == name {
			return loc, nil
		}
	}
	return nil, zoneError(name)
}

// zoneError is the error of an unknown zone name, with its suggestions.
func zoneError(name string) error {
	sug, why := SuggestZones(name)
	if len(sug) == 0 {
		return fmt.Errorf("unknown time zone %q; use an IANA zone name such as Europe/Moscow or America/New_York", name)
	}
	quoted := make([]string, len(sug))
	for i, s := range sug {
		quoted[i] = strconv.Quote(s)
	}
	list := quoted[0]
	if n := len(quoted); n > 1 {
		list = strings.Join(quoted[:n-1], ", ") + " or " + quoted[n-1]
	}
	msg := fmt.Sprintf("unknown time zone %q; did you mean %s?", name, list)
	if why != "" {
		msg += " (" + why + ")"
	}
	return fmt.Errorf("%s", msg)
}

// zoneAliases are names people give zones that are not IANA names:
// abbreviations and cities (in English and Russian) without a zone of
// their own. Abbreviations IANA has (CET, EET, EST, MST, HST, WET) load as
// they are.
var zoneAliases = map[string][]string{
	"msk": {"Europe/Moscow"}, "msd": {"Europe/Moscow"}, "мск": {"Europe/Moscow"},
	"samt": {"Europe/Samara"}, "yekt": {"Asia/Yekaterinburg"}, "omst": {"Asia/Omsk"},
	"novt": {"Asia/Novosibirsk"}, "krat": {"Asia/Krasnoyarsk"}, "irkt": {"Asia/Irkutsk"},
	"yakt": {"Asia/Yakutsk"}, "vlat": {"Asia/Vladivostok"}, "magt": {"Asia/Magadan"}, "pett": {"Asia/Kamchatka"},
	"cest": {"Europe/Berlin"}, "eest": {"Europe/Kyiv"}, "west": {"Europe/Lisbon"}, "bst": {"Europe/London"},
	"pst": {"America/Los_Angeles"}, "pdt": {"America/Los_Angeles"}, "mdt": {"America/Denver"},
	"cst": {"America/Chicago", "Asia/Shanghai"}, "cdt": {"America/Chicago"}, "edt": {"America/New_York"},
	"akst": {"America/Anchorage"}, "akdt": {"America/Anchorage"},
	"ist": {"Asia/Kolkata", "Asia/Jerusalem", "Europe/Dublin"}, "jst": {"Asia/Tokyo"}, "kst": {"Asia/Seoul"},
	"aest": {"Australia/Sydney"}, "aedt": {"Australia/Sydney"}, "acst": {"Australia/Adelaide"}, "awst": {"Australia/Perth"},
	"nzst": {"Pacific/Auckland"}, "nzdt": {"Pacific/Auckland"}, "sgt": {"Asia/Singapore"}, "hkt": {"Asia/Hong_Kong"},
	"trt": {"Europe/Istanbul"}, "brt": {"America/Sao_Paulo"},
	"москва": {"Europe/Moscow"}, "санкт-петербург": {"Europe/Moscow"}, "петербург": {"Europe/Moscow"},
	"saint petersburg": {"Europe/Moscow"}, "st petersburg": {"Europe/Moscow"}, "st. petersburg": {"Europe/Moscow"},
	"екатеринбург": {"Asia/Yekaterinburg"}, "новосибирск": {"Asia/Novosibirsk"}, "калининград": {"Europe/Kaliningrad"},
	"самара": {"Europe/Samara"}, "владивосток": {"Asia/Vladivostok"}, "минск": {"Europe/Minsk"}, "киев": {"Europe/Kyiv"},
	"алматы": {"Asia/Almaty"}, "ташкент": {"Asia/Tashkent"}, "тбилиси": {"Asia/Tbilisi"}, "ереван": {"Asia/Yerevan"},
	"beijing": {"Asia/Shanghai"}, "mumbai": {"Asia/Kolkata"}, "delhi": {"Asia/Kolkata"}, "new delhi": {"Asia/Kolkata"},
	"san francisco": {"America/Los_Angeles"}, "seattle": {"America/Los_Angeles"}, "washington": {"America/New_York"},
	"boston": {"America/New_York"}, "miami": {"America/New_York"}, "munich": {"Europe/Berlin"}, "frankfurt": {"Europe/Berlin"},
}

// offsetCities are city zones at whole or odd UTC offsets (in minutes),
// without daylight saving time where one exists, to suggest for "UTC+3".
var offsetCities = map[int]string{
	-600: "Pacific/Honolulu", -420: "America/Phoenix", -360: "America/Mexico_City", -300: "America/Bogota",
	-210: "America/St_Johns", -180: "America/Sao_Paulo", 0: "UTC", 60: "Africa/Lagos", 120: "Africa/Johannesburg",
	180: "Europe/Moscow", 210: "Asia/Tehran", 240: "Asia/Dubai", 270: "Asia/Kabul", 300: "Asia/Tashkent",
	330: "Asia/Kolkata", 345: "Asia/Kathmandu", 360: "Asia/Almaty", 390: "Asia/Yangon", 420: "Asia/Bangkok",
	480: "Asia/Singapore", 540: "Asia/Tokyo", 570: "Australia/Darwin", 600: "Australia/Brisbane",
	660: "Asia/Magadan", 720: "Asia/Kamchatka",
}

var offsetRe = regexp.MustCompile(`(?i)^(?:utc|gmt)?\s*([+\-−])\s*(\d{1,2})(?::?(\d{2}))?$`)

// SuggestZones returns the IANA zones a person most likely meant by name,
// which is not one, best first, and why when it needs saying: the same name
// in IANA's case ("europe/moscow"), a city's zone ("Moscow", "New York",
// "Moskow"), an abbreviation's ("MSK", "PST"), and for a UTC offset
// ("UTC+3", "GMT+03:00") the Etc zone of that offset, whose sign IANA
// inverts, and a city zone at that offset. None when nothing is close.
func SuggestZones(name string) (zones []string, why string) {
	z := zoneNames()
	n := strings.TrimSpace(name)
	key := strings.ToLower(n)
	switch {
	case n == "":
		return nil, ""
	case z.byLower[key] != "" && z.byLower[key] != name:
		if z.byLower[key] == n {
			return []string{n}, "without the spaces around it"
		}
		return []string{z.byLower[key]}, "zone names are case-sensitive"
	case zoneAliases[key] != nil:
		return loadable(zoneAliases[key]), "an abbreviation or a city without a zone of its own is no zone name; the IANA zone also follows the place's clock changes"
	}
	if g := offsetRe.FindStringSubmatch(n); g != nil {
		return suggestOffset(g)
	}
	city := strings.NewReplacer(" ", "_", "-", "_").Replace(key)
	if i := strings.LastIndexAny(city, "/"); i >= 0 {
		city = city[i+1:]
	}
	if zone := z.byCity[city]; zone != "" {
		return []string{zone}, ""
	}
	if near := Nearest(key, z.names); near != "" {
		return []string{near}, ""
	}
	if near := Nearest(city, z.cities); near != "" {
		return []string{z.byCity[near]}, ""
	}
	return nil, ""
}

// suggestOffset suggests zones for a UTC offset (sign, hours, minutes).
func suggestOffset(g []string) ([]string, string) {
	h, _ := strconv.Atoi(g[2])
	m, _ := strconv.Atoi(g[3])
	minutes := h*60 + m
	if g[1] != "+" {
		minutes = -minutes
	}
	if minutes == 0 {
		return []string{"UTC"}, ""
	}
	var zones []string
	why := ""
	if m == 0 && h <= 14 {
		etc := fmt.Sprintf("Etc/GMT%+d", -minutes/60) // IANA's Etc zones count west of Greenwich as positive
		zones = append(zones, etc)
		why = fmt.Sprintf("IANA's Etc zones invert the sign: %s is %s, all year; a city's zone also follows its clock changes", etc, utcOffset(minutes))
	}
	if city := offsetCities[minutes]; city != "" {
		zones = append(zones, city)
		if why == "" {
			why = fmt.Sprintf("no Etc zone has a %s offset; %s is at %s", utcOffset(minutes), city, utcOffset(minutes))
		}
	}
	return loadable(zones), why
}

func utcOffset(minutes int) string {
	sign := "+"
	if minutes < 0 {
		sign, minutes = "-", -minutes
	}
	if minutes%60 == 0 {
		return fmt.Sprintf("UTC%s%d", sign, minutes/60)
	}
	return fmt.Sprintf("UTC%s%d:%02d", sign, minutes/60, minutes%60)
}

// loadable keeps the zones this build can load.
func loadable(zones []string) []string {
	var out []string
	for _, z := range zones {
		if _, err := time.LoadLocation(z); err == nil {
			out = append(out, z)
		}
	}
	return out
}

// zoneIndex looks zone names up.
type zoneIndex struct {
	names   []string
	byLower map[string]string // lowercased name → name
	byCity  map[string]string // lowercased last part ("new_york") → name
	cities  []string          // the keys of byCity, sorted
}

var zoneNames = sync.OnceValue(func() zoneIndex {
	z := zoneIndex{byLower: map[string]string{}, byCity: map[string]string{}}
	for _, name := range strings.Fields(timezones) {
		z.names = append(z.names, name)
		z.byLower[strings.ToLower(name)] = name
		city := strings.ToLower(name[strings.LastIndex(name, "/")+1:])
		// A city in two zones (America/Buenos_Aires, an alias of
		// America/Argentina/Buenos_Aires): the longer name is IANA's own.
		if old := z.byCity[city]; old == "" || strings.Count(name, "/") > strings.Count(old, "/") {
			z.byCity[city] = name
		}
	}
	for city := range z.byCity {
		z.cities = append(z.cities, city)
	}
	slices.Sort(z.cities)
	return z
})
