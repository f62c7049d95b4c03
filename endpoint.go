package herald

import (
	"slices"
	"strings"
)

// EndpointChanges lists, sorted, the settings that next changes from ch and
// that decide where the channel's credentials are sent: each of endpoints
// (keys such as "config.base_url" or "credentials.webhook_url", as the
// platform's adapter declares them) whose value differs, and any other
// config key whose old or new value is a URL (holds "://"), so that a
// setting an adapter forgot to declare is still caught.
func (ch *Channel) EndpointChanges(next *Channel, endpoints []string) []string {
	var changed []string
	for _, key := range endpoints {
		if endpointValue(ch, key) != endpointValue(next, key) {
			changed = append(changed, key)
		}
	}
	for _, c := range []*Channel{ch, next} {
		for name := range c.Config {
			key := "config." + name
			if slices.Contains(changed, key) || slices.Contains(endpoints, key) {
				continue
			}
			old, now := ch.ConfigString(name), next.ConfigString(name)
			if old != now && (strings.Contains(old, "://") || strings.Contains(now, "://")) {
				changed = append(changed, key)
			}
		}
	}
	slices.Sort(changed)
	return changed
}

// endpointValue is the value of a "config.<name>" or "credentials.<name>"
// key of ch, "" when unset.
func endpointValue(ch *Channel, key string) string {
	kind, name, _ := strings.Cut(key, ".")
	if kind == "credentials" {
		return strings.TrimSpace(ch.Credentials[name])
	}
	return strings.TrimSpace(ch.ConfigString(name))
}
