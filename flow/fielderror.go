package flow

import "strings"

// Field names one setting of a provider, spelled as in config.toml.
type Field string

// The fields Validate and Preset can complain about.
const (
	FieldClientID      Field = "client_id"
	FieldRedirectURI   Field = "redirect_uri"
	FieldBaseURL       Field = "base_url"
	FieldIssuer        Field = "issuer"
	FieldAuthURL       Field = "auth_url"
	FieldTokenURL      Field = "token_url"
	FieldRevocationURL Field = "revocation_url"
	FieldDeviceAuthURL Field = "device_auth_url"
	FieldScopes        Field = "scopes"
	FieldPKCE          Field = "pkce"
	FieldClientAuth    Field = "client_auth"
	FieldClientSecret  Field = "client_secret"
	FieldGrant         Field = "grant"
	FieldAPIKeyHeader  Field = "api_key_header"
	FieldTokenHeader   Field = "token_header"
	FieldHeaders       Field = "headers"
	FieldAuthParams    Field = "auth_params"
)

// FieldError is one problem with one setting of a provider. Its text never
// names a front end's way of giving the setting: the command line says
// "--client-id is needed (...)" and the link wizard "Client ID is needed
// (...)", each through Message with its own name for the field; Error uses
// the config.toml spelling. errors.Is(err, ErrConfig) (or ErrInsecure) holds.
type FieldError struct {
	Field   Field
	Problem string // follows the field's name: "is needed", "must be an https URL", ...
	Hint    string // what the value is or where it comes from; may be empty
	Kind    error  // ErrConfig or ErrInsecure
}

// problemMissing is the Problem of a setting that was not given.
const problemMissing = "is needed"

// MissingField is the error for a setting that was not given.
func MissingField(f Field, hint string) *FieldError {
	return &FieldError{Field: f, Problem: problemMissing, Hint: hint, Kind: ErrConfig}
}

// Missing says the setting was not given at all (as opposed to given wrong):
// a config.toml provider may leave it to the command line or discovery.
func (e *FieldError) Missing() bool { return e.Problem == problemMissing }

// Message is the problem with the field called name.
func (e *FieldError) Message(name string) string {
	m := name + " " + e.Problem
	if e.Hint != "" {
		m += " (" + e.Hint + ")"
	}
	return m
}

func (e *FieldError) Error() string { return e.Message(string(e.Field)) }

// Unwrap makes errors.Is(err, ErrConfig) / ErrInsecure work.
func (e *FieldError) Unwrap() error { return e.Kind }

// FieldErrors returns the field errors in err (one, or several joined by
// Validate), in order; nil when err holds none.
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(e error) {
		switch x := e.(type) {
		case nil:
		case *FieldError:
			out = append(out, x)
		case interface{ Unwrap() []error }:
			for _, c := range x.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			walk(x.Unwrap())
		}
	}
	walk(err)
	return out
}

// RenderFields rewrites err's text for a front end: each field error's
// message uses name(field) for the field (the field's config.toml spelling
// when name returns ""); other errors keep their text. One problem a line.
// A wrapper around field errors (fmt.Errorf("...: %w")) gives way to them:
// the field errors say everything.
func RenderFields(err error, name func(Field) string) string {
	var lines []string
	var walk func(error)
	walk = func(e error) {
		switch x := e.(type) {
		case nil:
		case *FieldError:
			n := name(x.Field)
			if n == "" {
				n = string(x.Field)
			}
			lines = append(lines, x.Message(n))
		case interface{ Unwrap() []error }:
			for _, c := range x.Unwrap() {
				walk(c)
			}
		default:
			if u, ok := e.(interface{ Unwrap() error }); ok && FieldErrors(u.Unwrap()) != nil {
				walk(u.Unwrap())
				return
			}
			lines = append(lines, e.Error())
		}
	}
	walk(err)
	return strings.Join(lines, "\n")
}
