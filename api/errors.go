package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// eMethodNotAllowed is the code for a known path with the wrong method. It is
// HTTP-only, so it lives here rather than in the domain.
const eMethodNotAllowed = "method_not_allowed"

// eBadGateway is the code for a call to a platform that could not be made
// or understood at all (502); HTTP-only, like eMethodNotAllowed.
const eBadGateway = "bad_gateway"

// codes maps every error code to its HTTP status: the one place where domain
// errors meet HTTP.
var codes = map[string]int{
	herald.EINVALID:      http.StatusBadRequest,
	herald.EUNAUTHORIZED: http.StatusUnauthorized,
	herald.EFORBIDDEN:    http.StatusForbidden,
	herald.ENOTFOUND:     http.StatusNotFound,
	eMethodNotAllowed:    http.StatusMethodNotAllowed,
	eBadGateway:          http.StatusBadGateway,
	herald.ECONFLICT:     http.StatusConflict,
	herald.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	herald.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	herald.EVALIDATION:   http.StatusUnprocessableEntity,
	herald.ERATELIMITED:  http.StatusTooManyRequests,
	herald.EINTERNAL:     http.StatusInternalServerError,
	herald.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// Envelope is the error answer of every route (and what clients decode).
type Envelope struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody is an error answer's code, message and, for a 422, every problem.
type ErrorBody struct {
	Code    string           `json:"code"`
	Message string           `json:"message"`
	Details []herald.Problem `json:"details,omitempty"`
}

// handleError answers err with the envelope. Internal errors are logged and
// answered with a generic message; their text never reaches the client.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	err = fromEcho(err)
	code := herald.ErrorCode(err)
	status, ok := codes[code]
	if !ok {
		code, status = herald.EINTERNAL, http.StatusInternalServerError
	}
	body := ErrorBody{Code: code, Message: herald.ErrorMessage(err), Details: herald.ErrorDetails(err)}
	if code == herald.EINTERNAL {
		r := c.Request()
		s.log.Error().Err(err).Str("method", r.Method).Str("path", r.URL.Path).Msg("internal error")
		body = ErrorBody{Code: code, Message: "internal error"}
	}
	if status == http.StatusServiceUnavailable && c.Response().Header().Get("Retry-After") == "" {
		c.Response().Header().Set("Retry-After", "2")
	}
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(status)
	} else {
		err = c.JSON(status, Envelope{Error: body})
	}
	if err != nil {
		s.log.Error().Err(err).Msg("writing error answer")
	}
}

// fromEcho turns the router's and Echo's own errors into domain errors.
func fromEcho(err error) error {
	var he *echo.HTTPError
	if !errors.As(err, &he) {
		return err
	}
	msg := http.StatusText(he.Code)
	if m, ok := he.Message.(string); ok && m != "" {
		msg = m
	}
	switch he.Code {
	case http.StatusNotFound:
		return herald.Errorf(herald.ENOTFOUND, "no such route")
	case http.StatusMethodNotAllowed:
		return herald.Errorf(eMethodNotAllowed, "method not allowed on this route")
	case http.StatusBadRequest:
		return herald.Errorf(herald.EINVALID, "%s", msg)
	case http.StatusUnauthorized:
		return herald.Errorf(herald.EUNAUTHORIZED, "%s", msg)
	case http.StatusRequestEntityTooLarge:
		return herald.Errorf(herald.ETOOLARGE, "%s", msg)
	case http.StatusUnsupportedMediaType:
		return herald.Errorf(herald.EUNSUPPORTED, "%s", msg)
	case http.StatusServiceUnavailable:
		return herald.Errorf(herald.EUNAVAILABLE, "%s", msg)
	}
	return fmt.Errorf("echo: %w", err)
}

// decodeJSON reads one JSON value from the request body into v, refusing
// unknown fields and trailing data. Errors are EINVALID (naming the offset of
// a syntax error) or ETOOLARGE.
func (s *Server) decodeJSON(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return s.jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return s.jsonError(err)
		}
		return herald.Errorf(herald.EINVALID, "malformed JSON: unexpected data after the object at offset %d", dec.InputOffset())
	}
	return nil
}

func (s *Server) jsonError(err error) error {
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		maxSize *http.MaxBytesError
	)
	switch {
	case errors.As(err, &maxSize):
		return tooLarge(maxSize.Limit)
	case errors.Is(err, io.EOF):
		return herald.Errorf(herald.EINVALID, "request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return herald.Errorf(herald.EINVALID, "malformed JSON: unexpected end of body")
	case errors.As(err, &syntax):
		return herald.Errorf(herald.EINVALID, "malformed JSON at offset %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the body"
		}
		return herald.Errorf(herald.EINVALID, "malformed JSON at offset %d: %s must be %s, not %s", typ.Offset, field, jsonType(typ.Type), jsonValue(typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return herald.Errorf(herald.EINVALID, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	// Errors of custom decoders (herald.Duration) describe the bad value.
	return herald.Errorf(herald.EINVALID, "malformed JSON: %s", err.Error())
}

// jsonType names the JSON type a Go type decodes from ("a string", "an
// object"…), so that no Go type name reaches a client.
func jsonType(t reflect.Type) string {
	if t == nil {
		return "another JSON type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another JSON type"
}

// jsonValue names the JSON value json.UnmarshalTypeError.Value describes
// ("string", "number", "number -1", "array", "object", "bool").
func jsonValue(v string) string {
	switch kind, _, _ := strings.Cut(v, " "); kind {
	case "string":
		return "a string"
	case "number":
		return "a number"
	case "array":
		return "an array"
	case "object":
		return "an object"
	case "bool":
		return "true or false"
	}
	return "null"
}

// Pagination bounds.
const (
	defaultLimit = 50
	maxLimit     = 200
)

// limit reads ?limit=: default 50, at most 200 (larger values are capped).
func limit(c echo.Context) (int, error) {
	v := c.QueryParam("limit")
	if v == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, herald.Errorf(herald.EINVALID, "limit must be a positive integer (at most %d)", maxLimit)
	}
	return min(n, maxLimit), nil
}

// validationErr joins the problems of several EVALIDATION errors into one;
// any other error is returned as is.
func validationErr(msg string, errs ...error) error {
	var ps []herald.Problem
	for _, err := range errs {
		if err == nil {
			continue
		}
		if herald.ErrorCode(err) != herald.EVALIDATION {
			return err
		}
		ps = append(ps, herald.ErrorDetails(err)...)
		if len(herald.ErrorDetails(err)) == 0 {
			ps = append(ps, herald.Problem{Code: herald.EVALIDATION, Message: herald.ErrorMessage(err)})
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return &herald.Error{Code: herald.EVALIDATION, Message: msg, Details: ps}
}
