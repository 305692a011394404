/* What the kernel's files share (see module.c for what the kernel is for). */
#ifndef ANALYZER_KERNEL_H
#define ANALYZER_KERNEL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define TIME_WIDTH 26      /* dd/Mon/yyyy:HH:MM:SS +zzzz */
#define MAX_SIZE_DIGITS 15 /* longer sizes (1 PB or more) take the RE2 path */
#define SIZE_LOOK 16       /* digits looked at for a size */
#define KEPT_QUOTES 64     /* a line's first quotes kept; past them, memchr finds the rest */

/* The int64 rows of the scan's output, in this order; then the uint8 rows of flags. */
enum { STARTS, ENDS, BRACKET, REQUEST, REQUEST_END, STATUS, SIZE, SIZE_END, REFERER, REFERER_END,
       AGENT_END, SECONDS, INT_ROWS };
/* SECONDS of a time the kernel does not vouch for: the caller parses it the pandas way. */
#define UNREAD_TIME (INT64_MIN + 1)
/* WHOLE_PREFIX: the prefix is `word word word...` with no `[` (patterns.WHOLE_PREFIX);
   PLAIN_TAIL: neither tail field holds a backslash (an escape can hide a quote). */
enum { SHAPED, NEW_TIME, TAILED, WHOLE_PREFIX, PLAIN_TAIL, FLAG_ROWS };

typedef struct {
    const unsigned char *bytes;
    Py_ssize_t size;
} Text;

static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static inline int is_letter(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

static inline uint64_t load8(const unsigned char *at) {
    uint64_t word;
    memcpy(&word, at, 8);
    return word;
}

static inline uint64_t load_tail(const unsigned char *at, Py_ssize_t count) {
    uint64_t word = 0;
    memcpy(&word, at, (size_t)count);
    return word;
}

enum { SPLIT_REQUESTS, SECTIONS, SPLIT_PREFIXES };
#define SPLIT_ROWS(kind) ((kind) == SPLIT_REQUESTS ? 3 : (kind) == SECTIONS ? 1 : 5)

/* scan.c */
Py_ssize_t count_newlines(const Text *text, int *ascii);
int holds_nul_or_cr(const Text *text);
Py_ssize_t scan_lines(const Text *text, Py_ssize_t lines, Py_ssize_t max_line_bytes, int tail, int64_t *ints,
                      uint8_t *flags, Py_ssize_t first_byte, Py_ssize_t first_line, Py_ssize_t last_line);
/* times.c */
int64_t epoch_seconds(const unsigned char *at);
/* encode.c */
#define MAX_FIELDS 8 /* fields encoded together */
#define KEY_BYTES 16 /* the hash's key */
uint64_t hash_range(const uint64_t key[2], const unsigned char *at, Py_ssize_t length, int sip);
int encode(const uint64_t key[2], const unsigned char *bytes, int fields, const int64_t *from, const int64_t *to,
           Py_ssize_t rows, int64_t *code, int64_t *first, Py_ssize_t *distinct);
/* encode.c's entry points, in module.c's method table */
PyObject *encode_ranges(PyObject *module, PyObject *args);
PyObject *hash_ranges(PyObject *module, PyObject *args);
/* module.c: an output buffer of `needed` bytes or more; ranges inside the data (else a ValueError) */
int writable(PyObject *object, Py_buffer *view, Py_ssize_t needed, const char *what);
int inside(const int64_t *from, const int64_t *to, Py_ssize_t count, Py_ssize_t size);
/* cuts.c */
void split_values(int kind, const unsigned char *bytes, const int64_t *offsets, Py_ssize_t count, int64_t *out);
void request_sections(const unsigned char *bytes, const int64_t *from, const int64_t *to, Py_ssize_t rows,
                      int64_t *out);

#endif
