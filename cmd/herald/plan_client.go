package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
)

// apiClient calls Herald's API for the plan commands.
type apiClient struct {
	http   *http.Client
	server string
	token  string
}

// apiError is an error answer of the API, or a failure to reach it
// (Status 0).
type apiError struct {
	Status  int
	Code    string
	Message string
	Details []herald.Problem
}

func (e *apiError) Error() string {
	if e.Status == 0 {
		return e.Message
	}
	if e.Status == http.StatusUnauthorized {
		return fmt.Sprintf("the server refused the token (401 %s): set --token or HERALD_TOKEN to a valid API token", e.Message)
	}
	return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code)
}

// exitCode is 1 for answers about the plan itself (422 invalid, 413 too
// large) and 2 for everything else: no connection, bad token, no such
// workspace or plan, a bad option.
func (e *apiError) exitCode() int {
	switch e.Status {
	case http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge:
		return exitFail
	}
	return exitUsage
}

// checkServer validates the base URL.
func (c *apiClient) checkServer() error {
	u, err := url.Parse(c.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--server %q must be an http(s) URL such as http://127.0.0.1:8080", c.server)
	}
	return nil
}

// do sends one request and decodes a 2xx JSON answer into out. It returns
// an *apiError for an error answer or when the server cannot be reached.
func (c *apiClient) do(ctx context.Context, method, path string, query url.Values, contentType string, body []byte, out any) error {
	u := strings.TrimRight(c.server, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return &apiError{Message: fmt.Sprintf("bad request to %s: %v", c.server, err)}
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return &apiError{Message: fmt.Sprintf("cannot reach Herald at %s: %v", c.server, err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return &apiError{Message: fmt.Sprintf("reading the answer of %s: %v", c.server, err)}
	}
	if resp.StatusCode/100 != 2 {
		var env api.Envelope
		e := &apiError{Status: resp.StatusCode}
		if json.Unmarshal(data, &env) == nil && env.Error.Code != "" {
			e.Code, e.Message, e.Details = env.Error.Code, env.Error.Message, env.Error.Details
		} else {
			e.Code, e.Message = "http", fmt.Sprintf("%s %s answered %s", method, u, resp.Status)
		}
		return e
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return &apiError{Message: fmt.Sprintf("%s %s: the answer is not what Herald sends: %v", method, u, err)}
		}
	}
	return nil
}

// planPath is the API path of a plan (and a suffix under it).
func planPath(ws, key, suffix string) string {
	return "/api/v1/workspaces/" + url.PathEscape(ws) + "/plans/" + url.PathEscape(key) + suffix
}
