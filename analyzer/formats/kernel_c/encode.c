/* Dictionary encoding of byte ranges: codes by first appearance, as pyarrow's
   dictionary_encode gives, without first copying the ranges out into strings. */
#include "kernel.h"

static inline uint64_t load4(const unsigned char *at) {
    uint32_t word;
    memcpy(&word, at, 4);
    return word;
}

/* The 0..7 bytes as one word, by loads of fixed size (overlapping where needed), not a call to
   memcpy of `length` bytes: for a given length, equal words are equal bytes. */
static inline uint64_t short_word(const unsigned char *at, Py_ssize_t length) {
    if (length >= 4) return load4(at) | (load4(at + length - 4) << 32);
    if (length == 0) return 0;
    return (uint64_t)at[0] | ((uint64_t)at[length >> 1] << 8) | ((uint64_t)at[length - 1] << 16);
}

/* Whether two values of `length` bytes are equal: most values are short, and an inline word
   compare beats a call to memcmp per row. */
static inline int same_bytes(const unsigned char *one, const unsigned char *other, Py_ssize_t length) {
    if (length < 8) return short_word(one, length) == short_word(other, length);
    for (Py_ssize_t at = 0; at + 8 < length; at += 8)
        if (load8(one + at) != load8(other + at)) return 0;
    return load8(one + length - 8) == load8(other + length - 8);
}

/* A 64-bit hash of the bytes: four independent multiply chains over 32-byte stripes (a
   long value costs a quarter of one chain's latency), then one chain over the rest, then a
   final mix so the low bits (the table's index) depend on every byte. Equal values are still
   confirmed by comparing bytes: the hash only has to spread them. */
static inline uint64_t hash_range(const unsigned char *at, Py_ssize_t length) {
    const uint64_t k1 = 0x9E3779B97F4A7C15ull, k2 = 0xFF51AFD7ED558CCDull, k3 = 0xC4CEB9FE1A85EC53ull;
    uint64_t a = k1 ^ (uint64_t)length, b = k2, c = k3, d = k1 ^ k2;
    for (; length >= 32; at += 32, length -= 32) {
        a = (a ^ load8(at)) * k2;
        b = (b ^ load8(at + 8)) * k3;
        c = (c ^ load8(at + 16)) * k1;
        d = (d ^ load8(at + 24)) * k2;
    }
    for (; length >= 8; at += 8, length -= 8) a = (a ^ load8(at)) * k3;
    if (length) b = (b ^ short_word(at, length)) * k1;
    uint64_t hash = a ^ ((b << 21) | (b >> 43)) ^ ((c << 37) | (c >> 27)) ^ ((d << 49) | (d >> 15));
    hash = (hash ^ (hash >> 32)) * k2;
    return hash ^ (hash >> 29);
}

/* A slot of the hash table: a distinct value's hash, code and length (length 0 with code -1:
   free). Its bytes are in the arena, at arena_at[code]. */
typedef struct {
    uint64_t hash;
    int32_t code;
    uint32_t length;
} Slot;

typedef struct {
    Slot *slots;
    Py_ssize_t size;         /* a power of two, over twice the distinct values */
    unsigned char *arena;    /* the distinct values' bytes, one after another */
    Py_ssize_t arena_used, arena_size;
    int64_t *arena_at;       /* where each code's bytes start in the arena */
    Py_ssize_t codes_size;
} Memo;

static void memo_free(Memo *memo) {
    PyMem_RawFree(memo->slots);
    PyMem_RawFree(memo->arena);
    PyMem_RawFree(memo->arena_at);
}

static Slot *empty_slots(Py_ssize_t size) {
    Slot *slots = PyMem_RawMalloc((size_t)size * sizeof(Slot));
    if (slots != NULL)
        for (Py_ssize_t at = 0; at < size; at++) slots[at].code = -1;
    return slots;
}

/* Twice the slots, every value placed again by its kept hash. */
static int memo_grow(Memo *memo) {
    Py_ssize_t size = memo->size * 2;
    Slot *bigger = empty_slots(size);
    if (bigger == NULL) return 0;
    for (Py_ssize_t at = 0; at < memo->size; at++) {
        if (memo->slots[at].code < 0) continue;
        uint64_t slot = memo->slots[at].hash & (uint64_t)(size - 1);
        while (bigger[slot].code >= 0) slot = (slot + 1) & (uint64_t)(size - 1);
        bigger[slot] = memo->slots[at];
    }
    PyMem_RawFree(memo->slots);
    memo->slots = bigger;
    memo->size = size;
    return 1;
}

/* Keeps a new value's bytes; 0 where memory ran out. */
static int memo_keep(Memo *memo, int32_t code, const unsigned char *bytes, Py_ssize_t length) {
    if (code >= memo->codes_size) {
        Py_ssize_t size = memo->codes_size * 2;
        int64_t *more = PyMem_RawRealloc(memo->arena_at, (size_t)size * sizeof(int64_t));
        if (more == NULL) return 0;
        memo->arena_at = more, memo->codes_size = size;
    }
    if (memo->arena_used + length > memo->arena_size) {
        Py_ssize_t size = memo->arena_size * 2 + length;
        unsigned char *more = PyMem_RawRealloc(memo->arena, (size_t)size);
        if (more == NULL) return 0;
        memo->arena = more, memo->arena_size = size;
    }
    memcpy(memo->arena + memo->arena_used, bytes, (size_t)length);
    memo->arena_at[code] = memo->arena_used;
    memo->arena_used += length;
    return 1;
}

#define PREFETCH_ROWS 16

/* The code of one value (a new one numbered next, its row kept in `first`); -1 where memory ran out. */
static inline int64_t code_of(Memo *memo, const unsigned char *value, Py_ssize_t length, Py_ssize_t row,
                              int64_t *first, Py_ssize_t *distinct) {
    uint64_t hash = hash_range(value, length);
    uint64_t slot = hash & (uint64_t)(memo->size - 1);
    for (;;) {
        Slot *held = &memo->slots[slot];
        if (held->code < 0) {
            int32_t code = (int32_t)*distinct;
            if (!memo_keep(memo, code, value, length)) return -1;
            held->hash = hash, held->code = code, held->length = (uint32_t)length;
            first[code] = row;
            (*distinct)++;
            if (*distinct * 2 > memo->size && !memo_grow(memo)) return -1;
            return code;
        }
        if (held->hash == hash && held->length == (uint32_t)length
            && same_bytes(memo->arena + memo->arena_at[held->code], value, length))
            return held->code;
        slot = (slot + 1) & (uint64_t)(memo->size - 1);
    }
}

/* The codes of every row of every field by first appearance; 0 where memory ran out. Field f's
   row r is at f * rows + r of from, to, code and first. One field at a time: encoding the
   fields of a row together (its line in cache once) measured 25% slower, the four tables
   competing for the cache. The distinct values are copied to an arena as they appear: a row is compared with that copy,
   which stays in cache, not with a row far back in the buffer (a cache miss a row). */
int encode(const unsigned char *bytes, int fields, const int64_t *from, const int64_t *to, Py_ssize_t rows,
           int64_t *code, int64_t *first, Py_ssize_t *distinct) {
    Memo memos[MAX_FIELDS];
    int ok = fields <= MAX_FIELDS;
    for (int field = 0; field < fields && field < MAX_FIELDS; field++) {
        memos[field] = (Memo){empty_slots(1024), 1024, PyMem_RawMalloc(1 << 16), 0, 1 << 16,
                              PyMem_RawMalloc(512 * sizeof(int64_t)), 512};
        ok = ok && memos[field].slots != NULL && memos[field].arena != NULL && memos[field].arena_at != NULL;
        distinct[field] = 0;
    }
    for (int field = 0; ok && field < fields; field++)
        for (Py_ssize_t row = 0; ok && row < rows; row++) {
            Py_ssize_t at = field * rows + row;
            /* the values lie a line apart in a buffer larger than the cache: ask for one
               ahead, or each row waits for memory */
            if (row + PREFETCH_ROWS < rows) __builtin_prefetch(bytes + from[at + PREFETCH_ROWS]);
            int64_t found = code_of(&memos[field], bytes + from[at], to[at] - from[at], row, first + field * rows,
                                    distinct + field);
            code[at] = found;
            ok = found >= 0;
        }
    for (int field = 0; field < fields && field < MAX_FIELDS; field++) memo_free(&memos[field]);
    return ok;
}
