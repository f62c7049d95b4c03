// Package validate holds what the adapters' ValidateChannel methods share:
// a list of a channel's problems and the error that reports them.
package validate

import "github.com/heraldhq/herald"

// Problems collects what is wrong with a channel's config and credentials.
type Problems []herald.Problem

// Add records a problem with column col.
func (ps *Problems) Add(col, code, msg string) {
	*ps = append(*ps, herald.Problem{Column: col, Code: code, Message: msg})
}

// Err returns nil when there is no problem, else the EVALIDATION
// *herald.Error "invalid <platform> channel" listing them all.
func (ps Problems) Err(platform string) error {
	if len(ps) == 0 {
		return nil
	}
	return &herald.Error{Code: herald.EVALIDATION, Message: "invalid " + platform + " channel", Details: []herald.Problem(ps)}
}
