package herald

import (
	"strings"
	"unicode/utf8"
)

// Nearest returns the name of known that s most likely misspells, for
// validation messages ("did you mean …?"): the closest by edit distance,
// compared without regard to case, when that distance is at most 1 for
// names of 3 to 5 characters and 2 for longer ones. A name of 1 or 2
// characters is guessed only from itself with one character more ("vkk"
// for vk): too many other words are one change away from it.
// Ties go to the earlier name of known; "" when none is close enough.
func Nearest(s string, known []string) string {
	s = strings.ToLower(s)
	best, bestD := "", 0
	for _, k := range known {
		n := utf8.RuneCountInString(k)
		allowed := 2
		switch {
		case n <= 2 && utf8.RuneCountInString(s) != n+1:
			continue
		case n <= 5:
			allowed = 1
		}
		if d := editDistance(s, strings.ToLower(k)); d <= allowed && (best == "" || d < bestD) {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b,
// in runes: the fewest insertions, deletions, substitutions and swaps of
// two neighbouring characters that turn one into the other. Swaps are what
// people type most ("tetx"), and plain Levenshtein distance counts them 2.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	// d[i][j] is the distance between x[:i] and y[:j]; three rows suffice.
	prev2, prev, cur := make([]int, len(y)+1), make([]int, len(y)+1), make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(y)]
}
