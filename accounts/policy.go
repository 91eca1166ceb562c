package accounts

import (
	"time"

	"github.com/tokenring/tokenring/flow"
)

func (p Policy) withDefaults() Policy {
	d := DefaultPolicy()
	if p.Fraction <= 0 || p.Fraction >= 1 {
		p.Fraction = d.Fraction
	}
	if p.Min <= 0 {
		p.Min = d.Min
	}
	if p.Max <= 0 {
		p.Max = d.Max
	}
	if p.Min > p.Max {
		p.Min = p.Max
	}
	return p
}

// Window is how long before expiry the policy refreshes a token issued at
// issued that expires at expiry: Fraction of the lifetime, clamped to
// [Min, Max], and never more than half the lifetime (so a short-lived
// token is not refreshed again the moment it arrives). An unknown issue
// time counts as Max.
func (p Policy) Window(issued, expiry time.Time) time.Duration {
	p = p.withDefaults()
	if issued.IsZero() || !expiry.After(issued) {
		return p.Max
	}
	life := expiry.Sub(issued)
	w := time.Duration(float64(life) * p.Fraction)
	if w < p.Min {
		w = p.Min
	}
	if w > p.Max {
		w = p.Max
	}
	if w > life/2 {
		w = life / 2
	}
	return w
}

// canRenew says whether the store can get a new token by itself.
func canRenew(a Account) bool {
	return a.HasRefresh || a.Provider.Grant == flow.GrantClientCredentials
}

// RefreshDue reports when the policy wants a's token refreshed. It is zero
// when nothing will refresh it on its own: the token does not expire, the
// account needs linking again, or it has no refresh token (and is not a
// client-credentials account).
func (p Policy) RefreshDue(a Account) time.Time {
	if a.AccessExpiry.IsZero() || a.NeedsRelink || !canRenew(a) {
		return time.Time{}
	}
	return a.AccessExpiry.Add(-p.Window(a.AccessIssued, a.AccessExpiry))
}

// Status derives an account's status at now from its metadata. It
// is pure: a front end that refreshes accounts itself overlays its own
// "refreshing" (StatusRefreshing) on top.
func (p Policy) Status(a Account, now time.Time) Status {
	switch {
	case a.Damaged != nil:
		return StatusDamaged
	case a.NeedsRelink:
		return StatusNeedsRelink
	case a.LastError != "":
		return StatusError
	case a.AccessExpiry.IsZero():
		return StatusNoExpiry
	case !now.Before(a.AccessExpiry):
		return StatusExpired
	case !now.Before(a.AccessExpiry.Add(-p.Window(a.AccessIssued, a.AccessExpiry))):
		return StatusExpiringSoon
	}
	return StatusValid
}

// NextChange is when Status(a, t) may next differ from Status(a, now)
// with nothing but the clock moving: the start of the refresh window, then
// the expiry. Zero: never (the status does not depend on the time). A list
// sorted by status stays sorted until the earliest NextChange of its
// accounts, so it is sorted again then, not on every tick.
func (p Policy) NextChange(a Account, now time.Time) time.Time {
	switch {
	case a.Damaged != nil, a.NeedsRelink, a.LastError != "", a.AccessExpiry.IsZero(), !now.Before(a.AccessExpiry):
		return time.Time{}
	}
	if w := a.AccessExpiry.Add(-p.Window(a.AccessIssued, a.AccessExpiry)); now.Before(w) {
		return w
	}
	return a.AccessExpiry
}

// String names a status for logs and JSON ("valid", "expiring_soon", ...).
func (st Status) String() string {
	switch st {
	case StatusValid:
		return "valid"
	case StatusExpiringSoon:
		return "expiring_soon"
	case StatusExpired:
		return "expired"
	case StatusNoExpiry:
		return "no_expiry"
	case StatusRefreshing:
		return "refreshing"
	case StatusNeedsRelink:
		return "needs_relink"
	case StatusError:
		return "error"
	case StatusDamaged:
		return "damaged"
	}
	return "unknown"
}
