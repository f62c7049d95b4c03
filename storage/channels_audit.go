package storage

import (
	"encoding/json"
	"reflect"
	"slices"

	"github.com/heraldhq/herald"
)

// What the audit log says of a channel's change.

// credentialKeys are the names of credentials, sorted: what the audit log
// says of them (never a value).
func credentialKeys(creds map[string]string) []string {
	keys := make([]string, 0, len(creds))
	for k := range creds {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// changedFields names the settings of the stored channel r that ch changes,
// as the API names them (slots and config compared as values, not text).
func changedFields(r channelRow, ch *herald.Channel, slots, config string) []string {
	var out []string
	if ch.Name != r.Name {
		out = append(out, "name")
	}
	if ch.Timezone != r.Timezone {
		out = append(out, "timezone")
	}
	for _, f := range []struct{ name, was, is string }{{"slots", r.Slots, slots}, {"config", r.Config, config}} {
		var was, is any
		_ = json.Unmarshal([]byte(f.was), &was) // both written by channelJSON
		_ = json.Unmarshal([]byte(f.is), &is)
		if !reflect.DeepEqual(was, is) {
			out = append(out, f.name)
		}
	}
	return out
}

// configChanges names the keys of config that update (a JSON merge patch)
// changes, sorted: a value set to what it already is, or a missing key
// removed, is no change. Values are compared as JSON would give them back,
// so that a number stored before reads the same as one given now.
func configChanges(config, update map[string]any) []string {
	var keys []string
	for k, v := range update {
		was, ok := config[k]
		if v == nil {
			if ok {
				keys = append(keys, k)
			}
			continue
		}
		if !ok || !reflect.DeepEqual(jsonValue(was), jsonValue(v)) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// jsonValue is v encoded as JSON and decoded again (v itself when it does
// not encode).
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}
