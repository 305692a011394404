/* Cuts of distinct values by their patterns (analyzer.formats.compiled): requests, sections,
   `host ident user` prefixes; each the capture of its RE2 pattern, by a byte walk. */
#include "kernel.h"

static inline int is_method_byte(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '-';
}

/* Bytes that end a run, as bits of one table lookup a byte (the walks below read every byte of
   every request of a backtest: a lookup is cheaper than three compares). */
enum { ENDS_WORD = 1, ENDS_PATH = 2, ENDS_SEGMENT = 4 };
static const unsigned char STOPS[256] = {
    [' '] = ENDS_WORD | ENDS_PATH, ['?'] = ENDS_PATH | ENDS_SEGMENT, ['#'] = ENDS_PATH | ENDS_SEGMENT,
    ['/'] = ENDS_SEGMENT,
};

/* The bytes of `word` equal to `c`, as the high bit of each: exact for the lowest one (a borrow
   only flags bytes above it), which is all a search needs; so is an OR of several. */
static inline uint64_t bytes_equal(uint64_t word, unsigned char c) {
    uint64_t diff = word ^ (0x0101010101010101ull * c);
    return (diff - 0x0101010101010101ull) & ~diff & 0x8080808080808080ull;
}

/* The first byte from `at` (before `to`) in the class `stops`, else to: 8 bytes a step (a
   request's path and protocol are most of a backtest's per-line walk), then byte by byte. */
static inline int64_t run_end(const unsigned char *bytes, int64_t at, int64_t to, unsigned char stops) {
    for (; at + 8 <= to; at += 8) {
        uint64_t word = load8(bytes + at), hit = 0;
        if (stops & (ENDS_WORD | ENDS_PATH)) hit |= bytes_equal(word, ' ');
        if (stops & (ENDS_PATH | ENDS_SEGMENT)) hit |= bytes_equal(word, '?') | bytes_equal(word, '#');
        if (stops & ENDS_SEGMENT) hit |= bytes_equal(word, '/');
        if (hit) return at + (__builtin_ctzll(hit) >> 3);
    }
    while (at < to && !(STOPS[bytes[at]] & stops)) at++;
    return at;
}

/* columns.REQUEST on value [from, to), `METHOD PATH[?query] [PROTOCOL]`:
   ^([A-Za-z][A-Za-z_-]*) ([^?# ]+)(?:[?#][^ ]*)?(?: ([^ ]+))?$
   Writes where the method stops (-1: no match), where the path stops, where the protocol
   starts (-1: none). Byte-wise is exact on UTF-8 (every byte the pattern names is ASCII). */
static void split_request(const unsigned char *bytes, int64_t from, int64_t to, int64_t *method_stop,
                          int64_t *path_stop, int64_t *protocol_start) {
    *method_stop = *path_stop = *protocol_start = -1;
    int64_t at = from;
    if (at >= to || !is_letter(bytes[at])) return;
    while (at < to && is_method_byte(bytes[at])) at++;
    if (at >= to || bytes[at] != ' ') return;
    int64_t method = at++, path = at;
    at = run_end(bytes, at, to, ENDS_PATH);
    if (at == path) return; /* a path of one byte or more */
    int64_t path_end = at;
    if (at < to && bytes[at] != ' ') at = run_end(bytes, at, to, ENDS_WORD); /* the query or fragment */
    int64_t protocol = -1;
    if (at < to) { /* a space: then the protocol, one byte or more, no space, to the end */
        protocol = ++at;
        at = run_end(bytes, at, to, ENDS_WORD);
        if (at == protocol || at < to) return;
    }
    *method_stop = method;
    *path_stop = path_end;
    *protocol_start = protocol;
}

/* sections._SECTION on value [from, to), where the section stops (-1: none); it starts at `from`:
   ^([A-Za-z][A-Za-z0-9+.-]*://[^/?#]*(?:/[^/?#]*)?|/[^/?#]*) */
static int64_t section_stop(const unsigned char *bytes, int64_t from, int64_t to) {
    int64_t at = from;
    if (at < to && is_letter(bytes[at])) {
        at++;
        while (at < to && (is_letter(bytes[at]) || (bytes[at] >= '0' && bytes[at] <= '9') || bytes[at] == '+'
                           || bytes[at] == '.' || bytes[at] == '-'))
            at++;
        if (to - at < 3 || memcmp(bytes + at, "://", 3) != 0) return -1;
        at = run_end(bytes, at + 3, to, ENDS_SEGMENT);
        if (at == to || bytes[at] != '/') return at;
    } else if (at >= to || bytes[at] != '/') {
        return -1;
    }
    return run_end(bytes, at + 1, to, ENDS_SEGMENT); /* the `/`, then its segment */
}

/* Up to the next space from `at` (to if none). */
static inline int64_t word_end(const unsigned char *bytes, int64_t at, int64_t to) {
    return run_end(bytes, at, to, ENDS_WORD);
}

/* patterns.VHOST_PREFIX and PLAIN_PREFIX on value [from, to): host (-1: neither matches),
   user, and the vhost's end (-1: plain).
   ^(?P<vhost>[^ :]+:[0-9]+) (?P<host>[^ ]+) [^ ]+ (?P<user>.+?) ?$  (else without the vhost) */
static void split_prefix(const unsigned char *bytes, int64_t from, int64_t to, int64_t *out) {
    int64_t first = word_end(bytes, from, to);
    int64_t colon = from;
    while (colon < first && bytes[colon] != ':') colon++;
    int vhost = colon > from && colon + 1 < first;
    for (int64_t at = colon + 1; vhost && at < first; at++) vhost = bytes[at] >= '0' && bytes[at] <= '9';
    for (int tries = vhost ? 2 : 1; tries > 0; tries--) {
        int64_t host = vhost && tries == 2 ? first + 1 : from; /* the vhost's reading first */
        int64_t host_end = word_end(bytes, host, to);
        int64_t ident_end = host_end < to ? word_end(bytes, host_end + 1, to) : to;
        int64_t user = ident_end + 1;
        if (host_end > host && host_end < to && ident_end > host_end + 1 && ident_end < to && user < to) {
            int64_t user_end = (to - user >= 2 && bytes[to - 1] == ' ') ? to - 1 : to; /* `.+?` then ` ?` */
            out[0] = host, out[1] = host_end, out[2] = user, out[3] = user_end;
            out[4] = tries == 2 ? first : -1;
            return;
        }
    }
    out[0] = out[1] = out[2] = out[3] = out[4] = -1;
}

/* The cuts of `kind` of value i = bytes[at[i]:at[i + 1]], into rows of `found` (see split_request,
   section_stop, split_prefix). */
void split_values(int kind, const unsigned char *bytes, const int64_t *at, Py_ssize_t count, int64_t *found) {
    for (Py_ssize_t value = 0; value < count; value++) {
        if (kind == SPLIT_REQUESTS) {
            split_request(bytes, at[value], at[value + 1], found + value, found + count + value,
                          found + 2 * count + value);
        } else if (kind == SECTIONS) {
            found[value] = section_stop(bytes, at[value], at[value + 1]);
        } else {
            int64_t parts[5];
            split_prefix(bytes, at[value], at[value + 1], parts);
            for (int part = 0; part < 5; part++) found[part * count + value] = parts[part];
        }
    }
}

/* Per row, the section of the request bytes[from[i]:to[i]]: out[i] where it starts (its path's
   start), out[rows + i] where it stops (-1 where the request does not read as REQUEST or its
   path has no section): the backtest's question asked of each line, no request encoded. */
void request_sections(const unsigned char *bytes, const int64_t *from, const int64_t *to, Py_ssize_t rows,
                      int64_t *out) {
    for (Py_ssize_t row = 0; row < rows; row++) {
        int64_t method_stop, path_stop, protocol_start;
        if (row + 16 < rows) __builtin_prefetch(bytes + from[row + 16]); /* a line apart: fetch ahead */
        split_request(bytes, from[row], to[row], &method_stop, &path_stop, &protocol_start);
        out[row] = method_stop + 1;
        out[rows + row] = method_stop < 0 ? -1 : section_stop(bytes, method_stop + 1, path_stop);
    }
}
