/*
 * Arena: a bump allocator over a chain of blocks. Blocks grow geometrically
 * so a big graph needs few of them; an allocation larger than a block gets
 * a block of its own.
 */
#include "support.h"

#include <stdlib.h>
#include <string.h>

/* Small first: a graph may be a fused kernel's body of a few values. */
#define ARENA_MIN_BLOCK (4 * 1024)

struct ArenaBlock {
    ArenaBlock *prev;
    size_t size; /* usable bytes in data[] */
    unsigned char data[];
};

void arena_init(Arena *a) {
    a->head = NULL;
    a->used = 0;
    a->total = 0;
}

static void arena_new_block(Arena *a, size_t need) {
    size_t size = a->head ? a->head->size * 2 : ARENA_MIN_BLOCK;
    if (size < need) size = need;
    ArenaBlock *b = xmalloc(sizeof(ArenaBlock) + size);
    b->prev = a->head;
    b->size = size;
    a->head = b;
    a->used = 0;
}

void *arena_alloc(Arena *a, size_t size, size_t align) {
    if (align == 0 || (align & (align - 1)) || align > 64) ice("bad arena alignment %zu", align);
    if (size == 0) size = 1;
    /* Align the address, not the offset: a block is only malloc-aligned. */
    size_t start = 0;
    if (a->head)
        start = align_up((uintptr_t)a->head->data + a->used, align) - (uintptr_t)a->head->data;
    if (!a->head || start > a->head->size || a->head->size - start < size) {
        arena_new_block(a, size + align);
        start = align_up((uintptr_t)a->head->data, align) - (uintptr_t)a->head->data;
    }
    void *p = a->head->data + start;
    a->used = start + size;
    a->total += size;
    memset(p, 0, size);
    return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n) {
    char *p = arena_alloc(a, n + 1, 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(Arena *a, const char *s) {
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(Arena *a, const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) ice("arena_printf: bad format '%s'", fmt);
    char *p = arena_alloc(a, (size_t)n + 1, 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

void arena_free(Arena *a) {
    ArenaBlock *b = a->head;
    while (b) {
        ArenaBlock *prev = b->prev;
        free(b);
        b = prev;
    }
    arena_init(a);
}
