package workflows

import "context"

// Closest returns the candidate nearest to word by edit distance, when it is
// near enough to be a plausible typo, or "" when none is.
func Closest(word string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(word, c)
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	// A third of the word's length, at least 1 and at most 3, tells a typo
	// from a different word.
	limit := min(max(len(word)/3, 1), 3)
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b, in
// bytes: insertions, deletions, substitutions and swaps of two neighbours
// each cost one, since swapped letters ("lsit") are the commonest typo.
func editDistance(a, b string) int {
	rows := make([][]int, len(a)+1)
	for i := range rows {
		rows[i] = make([]int, len(b)+1)
		rows[i][0] = i
	}
	for j := range rows[0] {
		rows[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(rows[i-1][j]+1, rows[i][j-1]+1, rows[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, rows[i-2][j-2]+1)
			}
			rows[i][j] = d
		}
	}
	return rows[len(a)][len(b)]
}

// Suggest returns the experiment key (when key is set) or else the team key
// closest to the one given, for a "did you mean" after a not-found error;
// "" when none is close or they cannot be read.
func (s *Service) Suggest(ctx context.Context, key, team string) string {
	var candidates []string
	word := key
	err := s.Store.View(ctx, func(tx Tx) error {
		if word != "" {
			exps, err := tx.Experiments(ExperimentFilter{})
			for _, e := range exps {
				candidates = append(candidates, e.Key)
			}
			return err
		}
		word = team
		teams, err := tx.Teams()
		for _, t := range teams {
			candidates = append(candidates, t.Key)
		}
		return err
	})
	if err != nil || word == "" {
		return ""
	}
	return Closest(word, candidates)
}
