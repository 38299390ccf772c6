/*
 * "Did you mean ...?": the closest spelling among known names, by edit
 * distance, for messages about unknown ops, names, attributes
 * and options.
 */
#include "support.h"

#include <stdlib.h>
#include <string.h>

/* Optimal string alignment distance: Levenshtein plus swaps of two
 * neighbouring characters ("f23" for "f32" is one edit, not two). */
size_t str_edit_distance(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    size_t *prev2 = xmalloc((nb + 1) * sizeof(size_t)); /* row i - 2 */
    size_t *prev = xmalloc((nb + 1) * sizeof(size_t));  /* row i - 1 */
    size_t *row = xmalloc((nb + 1) * sizeof(size_t));
    for (size_t j = 0; j <= nb; j++) prev[j] = j;
    for (size_t i = 1; i <= na; i++) {
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t best = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < best) best = prev[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            row[j] = best;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = row;
        row = t;
    }
    size_t d = prev[nb];
    free(prev2);
    free(prev);
    free(row);
    return d;
}

const char *str_suggest(const char *word, const char *const *cands, size_t n) {
    /* Close enough to be a typo: a third of the word's length, at least 1,
     * at most 3 edits, and fewer edits than the word has characters. Ties go
     * to the earlier candidate. */
    size_t len = strlen(word);
    size_t limit = len / 3 < 1 ? 1 : len / 3 > 3 ? 3 : len / 3;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; i < n; i++) {
        if (!cands[i] || strcmp(cands[i], word) == 0) continue;
        size_t d = str_edit_distance(word, cands[i]);
        /* Something of the word must survive: 'x' is no typo of 'a'. */
        if (d < best_d && d < len) {
            best_d = d;
            best = cands[i];
        }
    }
    return best;
}
