package costs

import (
	"time"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/ent/contract"
	"github.com/cairn-cmdb/cairn/internal/apperr"
)

// The window of expiringContracts: DefaultExpiringWithin days when none is
// given, 0 to MaxExpiringWithin.
const (
	DefaultExpiringWithin = 90
	MaxExpiringWithin     = 3660
)

// ExpiringContracts is the query of the contracts that end between now and
// withinDays from now (nil: DefaultExpiringWithin), soonest first. It is
// returned unexecuted so that the caller can add the edges it needs to
// load with it.
func ExpiringContracts(c *ent.Client, now time.Time, withinDays *int) (*ent.ContractQuery, error) {
	days := DefaultExpiringWithin
	if withinDays != nil {
		if *withinDays < 0 || *withinDays > MaxExpiringWithin {
			return nil, apperr.Invalid("withinDays", "withinDays must be between 0 and %d, got %d", MaxExpiringWithin, *withinDays)
		}
		days = *withinDays
	}
	return c.Contract.Query().
		Where(contract.EndDateGTE(now), contract.EndDateLTE(now.AddDate(0, 0, days))).
		Order(contract.ByEndDate(), contract.ByID()), nil
}
