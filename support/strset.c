/*
 * StrSet: a set of strings (open addressing, copies owned by the set), for
 * making names unique and remembering what was seen.
 */
#include "support.h"

#include <stdlib.h>
#include <string.h>

static size_t hash_str(const char *s) {
    size_t h = 5381;
    while (*s) h = h * 33 + (unsigned char)*s++;
    return h;
}

void strset_init(StrSet *s) {
    s->slots = NULL;
    s->cap = s->n = 0;
}

void strset_free(StrSet *s) {
    for (size_t i = 0; i < s->cap; i++) free(s->slots[i]);
    free(s->slots);
    strset_init(s);
}

bool strset_has(const StrSet *s, const char *key) {
    if (!s->cap) return false;
    for (size_t i = hash_str(key) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (!s->slots[i]) return false;
        if (strcmp(s->slots[i], key) == 0) return true;
    }
}

static void insert(StrSet *s, char *owned) {
    size_t i = hash_str(owned) & (s->cap - 1);
    while (s->slots[i]) i = (i + 1) & (s->cap - 1);
    s->slots[i] = owned;
    s->n++;
}

bool strset_add(StrSet *s, const char *key) {
    if (strset_has(s, key)) return false;
    if (2 * (s->n + 1) > s->cap) {
        StrSet bigger = {xcalloc(s->cap ? s->cap * 2 : 16, sizeof(char *)),
                         s->cap ? s->cap * 2 : 16, 0};
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i]) insert(&bigger, s->slots[i]);
        free(s->slots);
        *s = bigger;
    }
    insert(s, xstrdup(key));
    return true;
}
