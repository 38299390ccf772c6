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

/* ---- StrMap ----------------------------------------------------------------------- */

void strmap_init(StrMap *m) {
    m->keys = NULL;
    m->vals = NULL;
    m->cap = m->n = 0;
}

void strmap_free(StrMap *m) {
    for (size_t i = 0; i < m->cap; i++) free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    strmap_init(m);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t map_slot(const StrMap *m, const char *key) {
    size_t i = hash_str(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0) i = (i + 1) & (m->cap - 1);
    return i;
}

int64_t *strmap_get(const StrMap *m, const char *key) {
    if (!m->cap) return NULL;
    size_t i = map_slot(m, key);
    return m->keys[i] ? &m->vals[i] : NULL;
}

void strmap_put(StrMap *m, const char *key, int64_t v) {
    int64_t *old = strmap_get(m, key);
    if (old) {
        *old = v;
        return;
    }
    if (2 * (m->n + 1) > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        StrMap bigger = {xcalloc(cap, sizeof(char *)), xcalloc(cap, sizeof(int64_t)), cap, 0};
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i]) {
                size_t j = map_slot(&bigger, m->keys[i]);
                bigger.keys[j] = m->keys[i];
                bigger.vals[j] = m->vals[i];
                bigger.n++;
            }
        free(m->keys);
        free(m->vals);
        *m = bigger;
    }
    size_t i = map_slot(m, key);
    m->keys[i] = xstrdup(key);
    m->vals[i] = v;
    m->n++;
}
