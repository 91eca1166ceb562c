package wizard

// link's errors in the wizard's words. A setting is named by the form's
// label ("Client ID is needed (…)", where the command line says
// --client-id) and the cursor goes to the field to fix; a provider's
// refusal gets plain words and a hint. Every piece of text that came from
// outside is cleaned here again, whatever cleaned it before.

import (
	"errors"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/link"
	"github.com/tokenring/tokenring/internal/termtext"
)

// formError shows an error of Plan or Ready on the form, and focuses the
// field it is about when the form has it.
func (w *Model) formError(err error) tea.Cmd {
	w.Close()
	w.step = stepFields
	msg, k, ok := w.formMessage(err)
	w.formErr = msg
	if ok {
		for i, f := range w.fields {
			if f.kind == k {
				return w.setFocus(i)
			}
		}
	}
	return w.fields[w.focus].input.Focus()
}

// formMessage is err in the form's words and the field it is about (ok false: none).
func (w *Model) formMessage(err error) (string, fieldKind, bool) {
	if fes := flow.FieldErrors(err); len(fes) > 0 {
		lines := strings.Split(flow.RenderFields(err, w.fieldName), "\n")
		for i := range lines {
			lines[i] = termtext.Clean(lines[i])
		}
		msg := strings.Join(lines, "\n")
		for _, fe := range fes { // the first one the form can fix
			if k, ok := formField[fe.Field]; ok && w.hasField(k) {
				return msg, k, true
			}
		}
		return msg, 0, false
	}
	var se *link.SecretError
	switch name := termtext.Clean(w.value(fName)); {
	case errors.As(err, &se):
		k := fClientSecret
		if se.Secret == link.SecretAPIKey {
			k = fAPIKey
		}
		return fieldText[k].label + " is needed for " + termtext.Clean(se.For) + ".", k, true
	case errors.Is(err, accounts.ErrExists):
		return "An account named " + name + " already exists; pick another name (or remove it first).", fName, true
	case errors.Is(err, accounts.ErrBadName):
		return "Account names use letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit).", fName, true
	case errors.Is(err, accounts.ErrLocked) && w.c.Keyring.New:
		return "The keyring has no passphrase yet: choose one to store " + name + " (nothing was sent to the provider). Press enter to try again.", 0, false
	case errors.Is(err, accounts.ErrLocked):
		return "The keyring is locked: unlock it to link " + name + " (nothing was sent to the provider). Press enter to try again.", 0, false
	}
	msg, hint := describe(w.ch.title, err)
	if hint != "" {
		msg += " " + hint
	}
	return capitalize(msg), 0, false
}

// formField is the form's field for a provider setting.
var formField = map[flow.Field]fieldKind{
	flow.FieldClientID: fClientID, flow.FieldRedirectURI: fRedirect, flow.FieldBaseURL: fBaseURL,
	flow.FieldIssuer: fIssuer, flow.FieldAuthURL: fAuthURL, flow.FieldTokenURL: fTokenURL,
	flow.FieldScopes: fScopes, flow.FieldClientSecret: fClientSecret,
}

// otherLabels name the settings the form never asks for.
var otherLabels = map[flow.Field]string{
	flow.FieldRevocationURL: "Revocation URL", flow.FieldDeviceAuthURL: "Device authorization URL",
	flow.FieldPKCE: "PKCE", flow.FieldClientAuth: "Client authentication", flow.FieldGrant: "Grant",
	flow.FieldAPIKeyHeader: "API key header", flow.FieldTokenHeader: "Token header",
	flow.FieldHeaders: "Headers", flow.FieldAuthParams: "Authorization parameters",
}

func (w *Model) hasField(k fieldKind) bool {
	for _, f := range w.fields {
		if f.kind == k {
			return true
		}
	}
	return false
}

// fieldName names a provider setting as this form does: its label when the
// form has the field; config.toml's name when it came from there; else a
// readable name.
func (w *Model) fieldName(f flow.Field) string {
	if k, ok := formField[f]; ok && w.hasField(k) {
		return fieldText[k].label
	}
	if w.ch.base != nil {
		return string(f) + " (config.toml)"
	}
	if k, ok := formField[f]; ok {
		return fieldText[k].label
	}
	return otherLabels[f]
}

// describe turns an error of the provider (or of reaching it) into plain
// words and a hint; who names the provider.
func describe(who string, err error) (string, string) {
	var oe *flow.OAuthError
	if errors.As(err, &oe) {
		msg := termtext.Clean(who) + " refused: " + termtext.Clean(oe.Code)
		if oe.Description != "" {
			msg += " — " + termtext.Clean(oe.Description)
		}
		if oe.Code == "invalid_grant" && oe.Op != "refresh" {
			return msg, "The code was not accepted: it may have expired (some providers allow only a minute) or been used already. Start over to get a new one."
		}
		return msg, capitalize(termtext.Clean(oe.Advice()))
	}
	msg := termtext.Clean(err.Error())
	switch {
	case errors.Is(err, flow.ErrTimeout):
		return msg, "The provider did not answer in time. Check your connection and start over."
	case errors.Is(err, flow.ErrUnreachable):
		return msg, "Check the URL and your connection."
	case errors.Is(err, flow.ErrNonceMismatch):
		return msg, "The ID token does not belong to this attempt."
	}
	return msg, ""
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}
