package accounts

import "time"

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
	return a.HasRefresh || a.Provider.Grant == "client_credentials"
}

// RefreshDue reports when the policy wants a's token refreshed. It is zero
// when the store will not refresh it on its own: the token does not expire,
// the account needs linking again, or it has no refresh token (and is not a
// client-credentials account). Pure: it needs no Store, so the TUI and its
// test fakes use the one policy.
func (p Policy) RefreshDue(a Account) time.Time {
	if a.AccessExpiry.IsZero() || a.NeedsRelink || !canRenew(a) {
		return time.Time{}
	}
	return a.AccessExpiry.Add(-p.Window(a.AccessIssued, a.AccessExpiry))
}

// Status derives an account's status at now under the policy. It never
// says StatusRefreshing: only whoever runs the refresh knows that (the
// Store for its own, the TUI for the ones it started) and says it on top.
func (p Policy) Status(a Account, now time.Time) Status {
	switch {
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

// RefreshDue is the store's policy's RefreshDue.
func (s *Store) RefreshDue(a Account) time.Time { return s.pol.RefreshDue(a) }

// Status is the store's policy's Status, or StatusRefreshing while this
// store refreshes the account.
func (s *Store) Status(a Account, now time.Time) Status {
	if s.refreshing(a.Name) {
		return StatusRefreshing
	}
	return s.pol.Status(a, now)
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
	}
	return "unknown"
}
