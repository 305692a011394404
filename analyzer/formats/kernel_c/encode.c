/* Dictionary encoding of byte ranges: codes by first appearance, as pyarrow's
   dictionary_encode gives, without first copying the ranges out into strings; the values
   hashed under a key (hash.h). */
#include "hash.h"

/* Whether two values of `length` bytes are equal: most values are short, and an inline word
   compare beats a call to memcmp per row. */
static inline int same_bytes(const unsigned char *one, const unsigned char *other, Py_ssize_t length) {
    if (length < 8) return short_word(one, length) == short_word(other, length);
    for (Py_ssize_t at = 0; at + 8 < length; at += 8)
        if (load8(one + at) != load8(other + at)) return 0;
    return load8(one + length - 8) == load8(other + length - 8);
}

uint64_t hash_range(const uint64_t key[2], const unsigned char *at, Py_ssize_t length, int sip) {
    return sip ? sip_hash(key, at, length) : quick_hash(key, at, length);
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

/* The code of one value hashed `hash` (a new one numbered next, its row kept in `first`), the
   slots probed past the first added to *probes; -1 where memory ran out. */
static inline int64_t code_of(Memo *memo, uint64_t hash, const unsigned char *value, Py_ssize_t length,
                              Py_ssize_t row, int64_t *first, Py_ssize_t *distinct, Py_ssize_t *probes) {
    uint64_t slot = hash & (uint64_t)(memo->size - 1);
    for (;; (*probes)++) {
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

/* Every slot free again, no value kept (the table keeps its size). */
static void memo_clear(Memo *memo) {
    for (Py_ssize_t at = 0; at < memo->size; at++) memo->slots[at].code = -1;
    memo->arena_used = 0;
}

/* The slots a field's rows may probe past their first, on average, before it is hashed again
   by sip_hash (random values, at most half the slots taken, probe under one a row); the spare
   lets a few rows probe more. */
#define PROBE_BUDGET 3
#define PROBE_SPARE 1024

/* The codes of one field's rows by first appearance, hashed by sip_hash or quick_hash: 1 when
   done, 0 where memory ran out, -1 where quick_hash's probes went over the budget. */
static int encode_field(Memo *memo, const uint64_t key[2], int sip, const unsigned char *bytes, const int64_t *from,
                        const int64_t *to, Py_ssize_t rows, int64_t *code, int64_t *first, Py_ssize_t *distinct) {
    Py_ssize_t probes = 0;
    *distinct = 0;
    for (Py_ssize_t row = 0; row < rows; row++) {
        /* the values lie a line apart in a buffer larger than the cache: ask for one ahead, or
           each row waits for memory */
        if (row + PREFETCH_ROWS < rows) __builtin_prefetch(bytes + from[row + PREFETCH_ROWS]);
        const unsigned char *value = bytes + from[row];
        Py_ssize_t length = to[row] - from[row];
        uint64_t hash = sip ? sip_hash(key, value, length) : quick_hash(key, value, length);
        int64_t found = code_of(memo, hash, value, length, row, first, distinct, &probes);
        if (found < 0) return 0;
        code[row] = found;
        if (!sip && probes > PROBE_BUDGET * row + PROBE_SPARE) return -1;
    }
    return 1;
}

/* The codes of every row of every field by first appearance; 0 where memory ran out. Field f's
   row r is at f * rows + r of from, to, code and first. One field at a time: encoding the
   fields of a row together (its line in cache once) measured 25% slower, the four tables
   competing for the cache. The distinct values are copied to an arena as they appear: a row is compared with that copy,
   which stays in cache, not with a row far back in the buffer (a cache miss a row). */
int encode(const uint64_t key[2], const unsigned char *bytes, int fields, const int64_t *from, const int64_t *to,
           Py_ssize_t rows, int64_t *code, int64_t *first, Py_ssize_t *distinct) {
    Memo memos[MAX_FIELDS];
    int ok = fields <= MAX_FIELDS;
    for (int field = 0; field < fields && field < MAX_FIELDS; field++) {
        memos[field] = (Memo){empty_slots(1024), 1024, PyMem_RawMalloc(1 << 16), 0, 1 << 16,
                              PyMem_RawMalloc(512 * sizeof(int64_t)), 512};
        ok = ok && memos[field].slots != NULL && memos[field].arena != NULL && memos[field].arena_at != NULL;
    }
    for (int field = 0; ok && field < fields; field++) {
        Py_ssize_t at = field * rows;
        int done = encode_field(&memos[field], key, 0, bytes, from + at, to + at, rows, code + at, first + at,
                                distinct + field);
        if (done < 0) { /* values chosen to collide: again, by SipHash */
            memo_clear(&memos[field]);
            done = encode_field(&memos[field], key, 1, bytes, from + at, to + at, rows, code + at, first + at,
                                distinct + field);
        }
        ok = done > 0;
    }
    for (int field = 0; field < fields && field < MAX_FIELDS; field++) memo_free(&memos[field]);
    return ok;
}

/* The hash key, 16 bytes, as two words (in the byte order SipHash reads its key). */
static int key_of(const Py_buffer *key, uint64_t words[2]) {
    if (key->len != KEY_BYTES) {
        PyErr_Format(PyExc_ValueError, "key: %d bytes, please", KEY_BYTES);
        return 0;
    }
    const unsigned char *bytes = key->buf;
    words[0] = words[1] = 0;
    for (int at = 7; at >= 0; at--) words[0] = words[0] << 8 | bytes[at], words[1] = words[1] << 8 | bytes[8 + at];
    return 1;
}

/* encode_ranges(data, fields, starts, stops, codes, firsts, key) -> the distinct values of each
   field: codes[f, i] numbers the value data[starts[f, i]:stops[f, i]] of field f by first
   appearance there; firsts[f, k] is the row where value k of field f first appears; the values
   hashed under `key` (16 bytes: see quick_hash). */
PyObject *encode_ranges(PyObject *module, PyObject *args) {
    (void)module;
    Py_buffer data, starts, stops, codes, firsts, key;
    int fields;
    PyObject *codes_object, *firsts_object;
    if (!PyArg_ParseTuple(args, "y*iy*y*OOy*", &data, &fields, &starts, &stops, &codes_object, &firsts_object,
                          &key))
        return NULL;
    PyObject *result = NULL;
    int have_codes = 0, have_firsts = 0, encoded;
    uint64_t words[2];
    if (!key_of(&key, words)) goto done;
    if (fields < 1 || fields > MAX_FIELDS || stops.len != starts.len
        || starts.len % ((Py_ssize_t)sizeof(int64_t) * fields) != 0) {
        PyErr_Format(PyExc_ValueError, "1 to %d fields, and starts and stops of the same rows", MAX_FIELDS);
        goto done;
    }
    Py_ssize_t rows = starts.len / (Py_ssize_t)sizeof(int64_t) / fields;
    if (!(have_codes = writable(codes_object, &codes, starts.len, "codes"))) goto done;
    if (!(have_firsts = writable(firsts_object, &firsts, starts.len, "firsts"))) goto done;
    const int64_t *from = starts.buf, *to = stops.buf;
    if (!inside(from, to, rows * fields, data.len)) goto done;
    Py_ssize_t distinct[MAX_FIELDS];
    Py_BEGIN_ALLOW_THREADS
    encoded = encode(words, data.buf, fields, from, to, rows, codes.buf, firsts.buf, distinct);
    Py_END_ALLOW_THREADS
    if (!encoded) {
        PyErr_NoMemory();
        goto done;
    }
    result = PyTuple_New(fields);
    for (int field = 0; result != NULL && field < fields; field++)
        PyTuple_SET_ITEM(result, field, PyLong_FromSsize_t(distinct[field]));
done:
    if (have_firsts) PyBuffer_Release(&firsts);
    if (have_codes) PyBuffer_Release(&codes);
    PyBuffer_Release(&key);
    PyBuffer_Release(&stops);
    PyBuffer_Release(&starts);
    PyBuffer_Release(&data);
    return result;
}

/* hash_ranges(data, starts, stops, key, out, sip): out[i] is the hash encode_ranges gives the value
   data[starts[i]:stops[i]] under `key`, first (quick_hash) or after too many probes (sip_hash, if
   `sip`): for the tests, values that collide under a known key. */
PyObject *hash_ranges(PyObject *module, PyObject *args) {
    (void)module;
    Py_buffer data, starts, stops, key, out;
    PyObject *out_object, *result = NULL;
    int have_out = 0;
    uint64_t words[2];
    int sip;
    if (!PyArg_ParseTuple(args, "y*y*y*y*Op", &data, &starts, &stops, &key, &out_object, &sip)) return NULL;
    Py_ssize_t rows = starts.len / (Py_ssize_t)sizeof(int64_t);
    if (!key_of(&key, words)) goto done;
    if (stops.len != starts.len) {
        PyErr_SetString(PyExc_ValueError, "starts and stops differ in length");
        goto done;
    }
    if (!(have_out = writable(out_object, &out, starts.len, "out"))) goto done;
    const int64_t *from = starts.buf, *to = stops.buf;
    if (!inside(from, to, rows, data.len)) goto done;
    uint64_t *hashes = out.buf;
    const unsigned char *bytes = data.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t row = 0; row < rows; row++) hashes[row] = hash_range(words, bytes + from[row], to[row] - from[row], sip);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    if (have_out) PyBuffer_Release(&out);
    PyBuffer_Release(&key);
    PyBuffer_Release(&stops);
    PyBuffer_Release(&starts);
    PyBuffer_Release(&data);
    return result;
}
