package report

// SetRiskScanFrom sets the number of drifted CIs from which the services at
// risk are computed from the whole graph, and returns a function restoring
// it.
func SetRiskScanFrom(n int) (restore func()) {
	old := riskScanFrom
	riskScanFrom = n
	return func() { riskScanFrom = old }
}
