package store

// SetAggregateBudget sets the memory budget of one aggregation pass, so that
// tests can make every experiment a group of its own; it returns a function
// that restores the budget.
func SetAggregateBudget(bytes int64) (restore func()) {
	old := aggregateBudget
	aggregateBudget = bytes
	return func() { aggregateBudget = old }
}
