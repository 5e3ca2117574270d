package workflows

// AnalysisWaiters returns how many requests wait for the running analysis
// of key, so that a test can release it once they all joined.
func AnalysisWaiters(s *Service, key string) int {
	s.analyses.mu.Lock()
	defer s.analyses.mu.Unlock()
	if f := s.analyses.running[key]; f != nil {
		return f.waiters
	}
	return 0
}
