/* Dictionary encoding of byte ranges: codes by first appearance, as pyarrow's
   dictionary_encode gives, without first copying the ranges out into strings. */
#include "kernel.h"

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
    if (length) b = (b ^ load_tail(at, length)) * k1;
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

/* The codes of every row by first appearance; 0 where memory ran out. The distinct values are
   copied to an arena as they appear: a row is compared with that copy, which stays in the
   core's cache, not with a row far back in the buffer (a cache miss a row). */
int encode(const unsigned char *bytes, const int64_t *from, const int64_t *to, Py_ssize_t rows,
                  int64_t *code, int64_t *first, Py_ssize_t *distinct) {
    Memo memo = {empty_slots(1024), 1024, PyMem_RawMalloc(1 << 16), 0, 1 << 16,
                 PyMem_RawMalloc(512 * sizeof(int64_t)), 512};
    int ok = memo.slots != NULL && memo.arena != NULL && memo.arena_at != NULL;
    *distinct = 0;
    for (Py_ssize_t row = 0; ok && row < rows; row++) {
        const unsigned char *value = bytes + from[row];
        Py_ssize_t length = to[row] - from[row];
        uint64_t hash = hash_range(value, length);
        uint64_t slot = hash & (uint64_t)(memo.size - 1);
        for (;;) {
            Slot *held = &memo.slots[slot];
            if (held->code < 0) {
                int32_t new_code = (int32_t)*distinct;
                ok = memo_keep(&memo, new_code, value, length);
                held->hash = hash, held->code = new_code, held->length = (uint32_t)length;
                first[new_code] = row;
                code[row] = new_code;
                (*distinct)++;
                break;
            }
            if (held->hash == hash && held->length == (uint32_t)length
                && memcmp(memo.arena + memo.arena_at[held->code], value, (size_t)length) == 0) {
                code[row] = held->code;
                break;
            }
            slot = (slot + 1) & (uint64_t)(memo.size - 1);
        }
        if (ok && *distinct * 2 > memo.size) ok = memo_grow(&memo);
    }
    memo_free(&memo);
    return ok;
}

