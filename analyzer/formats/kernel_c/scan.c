/* Where the fields of each Common/Combined line are: one walk over the bytes (see module.c). */
#include "kernel.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The byte at i, 0 outside the buffer. */
static inline unsigned char byte_at(const Text *text, Py_ssize_t i) {
    return (i >= 0 && i < text->size) ? text->bytes[i] : 0;
}

/* Bits of the 64 bytes from `base` equal to each of `wanted` (bytes past the end: no bit). */
static inline void masks64(const Text *text, Py_ssize_t base, const unsigned char wanted[4], uint64_t found[4]) {
    for (int kind = 0; kind < 4; kind++) found[kind] = 0;
#if defined(__SSE2__)
    if (base + 64 <= text->size) {
        for (int part = 0; part < 4; part++) {
            __m128i block = _mm_loadu_si128((const __m128i *)(text->bytes + base + 16 * part));
            for (int kind = 0; kind < 4; kind++) {
                __m128i same = _mm_cmpeq_epi8(block, _mm_set1_epi8((char)wanted[kind]));
                found[kind] |= (uint64_t)(uint16_t)_mm_movemask_epi8(same) << (16 * part);
            }
        }
        return;
    }
#endif
    Py_ssize_t stop = base + 64 < text->size ? base + 64 : text->size;
    for (Py_ssize_t at = base; at < stop; at++)
        for (int kind = 0; kind < 4; kind++) found[kind] |= (uint64_t)(text->bytes[at] == wanted[kind]) << (at - base);
}

/* The newlines of the text, and whether its bytes are all ASCII (*ascii): one pass for both,
   as the parser needs both (its arrays sized by the lines; UTF-8 checked only if a byte is
   not ASCII). Newlines are counted in 16 byte-wide counters, summed every 255 blocks before
   one can overflow. */
Py_ssize_t count_newlines(const Text *text, int *ascii) {
    Py_ssize_t count = 0, at = 0;
    unsigned char high = 0;
#if defined(__SSE2__)
    const __m128i newline = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
    __m128i any = zero;
    while (at + 16 <= text->size) {
        __m128i counters = zero;
        for (int block = 0; block < 255 && at + 16 <= text->size; block++, at += 16) {
            __m128i bytes = _mm_loadu_si128((const __m128i *)(text->bytes + at));
            counters = _mm_sub_epi8(counters, _mm_cmpeq_epi8(bytes, newline)); /* equal: -1 */
            any = _mm_or_si128(any, bytes);
        }
        __m128i sums = _mm_sad_epu8(counters, zero);
        count += _mm_cvtsi128_si32(sums) + _mm_extract_epi16(sums, 4);
    }
    high = _mm_movemask_epi8(any) != 0;
#endif
    for (; at < text->size; at++) {
        count += text->bytes[at] == '\n';
        high |= text->bytes[at] & 0x80;
    }
    *ascii = !high;
    return count;
}

/* Whether the text holds a NUL or a `\r` (which the line splitter removes or turns into a
   `\n`): one pass for both, stopping at the first, where two memchr passes took twice the
   time of a piece just read (3.2 against 1.7 ms for 16 MB). */
int holds_nul_or_cr(const Text *text) {
    Py_ssize_t at = 0;
#if defined(__SSE2__)
    /* a byte is 0 or 13 exactly when the smaller of it and it XOR 13 is 0: two operations a
       vector, and the smallest of 256 bytes tested at once */
    const __m128i cr = _mm_set1_epi8('\r'), zero = _mm_setzero_si128();
    for (; at + 256 <= text->size; at += 256) {
        __m128i least = _mm_set1_epi8((char)0xFF);
        for (int part = 0; part < 256; part += 16) {
            __m128i bytes = _mm_loadu_si128((const __m128i *)(text->bytes + at + part));
            least = _mm_min_epu8(least, _mm_min_epu8(bytes, _mm_xor_si128(bytes, cr)));
        }
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(least, zero))) return 1;
    }
#endif
    for (; at < text->size; at++)
        if (text->bytes[at] == 0 || text->bytes[at] == '\r') return 1;
    return 0;
}

/* What the block masks told of one line: its quotes in order (the first KEPT_QUOTES, and
   whether there are more), its first `[`, whether it holds a backslash. */
typedef struct {
    Py_ssize_t at[KEPT_QUOTES];
    int count, more, cursor, backslash;
    Py_ssize_t first_bracket;
} Quotes;

/* The first quote in [from, limit), else limit. The `from`s asked
   for in a line only grow, so a cursor walks the kept quotes once. */
static inline Py_ssize_t next_quote(const Text *text, Quotes *quotes, Py_ssize_t from, Py_ssize_t limit) {
    if (from >= limit) return limit;
    while (quotes->cursor < quotes->count && quotes->at[quotes->cursor] < from) quotes->cursor++;
    if (quotes->cursor < quotes->count) return quotes->at[quotes->cursor];
    if (!quotes->more) return limit;
    const unsigned char *found = memchr(text->bytes + from, '"', (size_t)(limit - from));
    return found ? found - text->bytes : limit;
}

/* Whether bytes [from, to) hold a backslash: none if the line holds none (mostly). */
static inline int backslash_in(const Text *text, const Quotes *line, Py_ssize_t from, Py_ssize_t to) {
    return line->backslash && to > from && memchr(text->bytes + from, '\\', (size_t)(to - from)) != NULL;
}

/* The first space in [at, to), else to: 8 bytes a step (a word's zero bytes after xor with
   spaces; the lowest flagged byte is exact, borrows only flag bytes above it). */
static inline Py_ssize_t space_from(const unsigned char *bytes, Py_ssize_t at, Py_ssize_t to) {
    for (; at + 8 <= to; at += 8) {
        uint64_t word = load8(bytes + at) ^ 0x2020202020202020ull;
        uint64_t zero = (word - 0x0101010101010101ull) & ~word & 0x8080808080808080ull;
        if (zero) return at + (__builtin_ctzll(zero) >> 3);
    }
    while (at < to && bytes[at] != ' ') at++;
    return at;
}

/* patterns.WHOLE_PREFIX on the bytes [from, to) before the time's `[`:
   `[^ \[]+ [^ \[]+ [^ \[][^\[]*`, the whole of it. Byte-wise is exact on UTF-8: space and `[`
   are never inside a longer character. */
static int whole_prefix(const Text *text, const Quotes *line, Py_ssize_t from, Py_ssize_t to) {
    if (line->first_bracket < to) return 0; /* a `[` before the time's */
    Py_ssize_t at = from;
    for (int word = 0; word < 2; word++) {
        Py_ssize_t begun = at;
        at = space_from(text->bytes, at, to);
        if (at == begun || at == to) return 0; /* a word of one byte or more, then a space */
        at++;
    }
    return at < to && text->bytes[at] != ' ';
}

/* One line's fields (start..end, its newline at end), written to column `line` of the outputs. */
static void scan_line(const Text *text, Quotes *quotes, Py_ssize_t start, Py_ssize_t end,
                      Py_ssize_t max_line_bytes, int tail, Py_ssize_t line, Py_ssize_t lines, int64_t *ints,
                      uint8_t *flags) {
    quotes->cursor = 0;
    Py_ssize_t opening = next_quote(text, quotes, start, end);
    Py_ssize_t bracket = opening - (TIME_WIDTH + 3);
    Py_ssize_t closing = next_quote(text, quotes, opening + 1, end);
    int shaped = bracket >= start && closing < end && end - start <= max_line_bytes;
    shaped = shaped && byte_at(text, bracket) == '[' && byte_at(text, bracket + TIME_WIDTH + 1) == ']'
             && byte_at(text, bracket + TIME_WIDTH + 2) == ' ' && byte_at(text, opening) == '"';
    /* `x" ddd s`: x is no backslash, then three status digits between spaces */
    shaped = shaped && byte_at(text, closing - 1) != '\\' && byte_at(text, closing + 1) == ' '
             && byte_at(text, closing + 5) == ' ';
    int status_digits = is_digit(byte_at(text, closing + 2)) && is_digit(byte_at(text, closing + 3))
                        && is_digit(byte_at(text, closing + 4));
    shaped = shaped && status_digits;
    int64_t status = 0;
    if (status_digits)
        status = (byte_at(text, closing + 2) - '0') * 100 + (byte_at(text, closing + 3) - '0') * 10
                 + (byte_at(text, closing + 4) - '0');
    Py_ssize_t digits = 0;
    int64_t size = 0;
    while (digits < SIZE_LOOK && is_digit(byte_at(text, closing + 6 + digits))) {
        size = size * 10 + (byte_at(text, closing + 6 + digits) - '0');
        digits++;
    }
    int dash = digits == 0 && byte_at(text, closing + 6) == '-';
    shaped = shaped && ((digits > 0 && digits <= MAX_SIZE_DIGITS) || dash);
    Py_ssize_t size_end = closing + 6 + (dash ? 1 : digits);
    ints[STARTS * lines + line] = start;
    ints[ENDS * lines + line] = end;
    ints[BRACKET * lines + line] = bracket;
    ints[REQUEST * lines + line] = opening + 1;
    ints[REQUEST_END * lines + line] = closing;
    ints[STATUS * lines + line] = status;
    ints[SIZE * lines + line] = size;
    ints[SIZE_END * lines + line] = size_end;
    flags[SHAPED * lines + line] = (uint8_t)shaped;
    flags[WHOLE_PREFIX * lines + line] = (uint8_t)(shaped && whole_prefix(text, quotes, start, bracket));
    if (tail) { /* ` "referer" "agent"` found by its quotes */
        int opened = byte_at(text, size_end) == ' ' && byte_at(text, size_end + 1) == '"';
        Py_ssize_t referer_end = next_quote(text, quotes, size_end + 2, end);
        int between = byte_at(text, referer_end) == '"' && byte_at(text, referer_end + 1) == ' '
                      && byte_at(text, referer_end + 2) == '"';
        Py_ssize_t agent_end = next_quote(text, quotes, referer_end + 3, end);
        int tailed = opened && between && referer_end < end && agent_end < end;
        ints[REFERER * lines + line] = size_end + 2;
        ints[REFERER_END * lines + line] = referer_end;
        ints[AGENT_END * lines + line] = agent_end;
        flags[TAILED * lines + line] = (uint8_t)tailed;
        flags[PLAIN_TAIL * lines + line] = (uint8_t)(tailed && !backslash_in(text, quotes, size_end + 2, referer_end)
                                                     && !backslash_in(text, quotes, referer_end + 3, agent_end));
    }
}

/* Whether the time of `line` differs from the line before's (both shaped; else 1): the 26
   bytes as three 8-byte words and two bytes, all inside the line (its quote follows). */
static uint8_t new_time(const Text *text, const int64_t *bracket, const uint8_t *shaped, Py_ssize_t line) {
    if (line == 0 || !shaped[line] || !shaped[line - 1]) return 1;
    const unsigned char *now = text->bytes + bracket[line] + 1, *before = text->bytes + bracket[line - 1] + 1;
    return (load8(now) != load8(before)) | (load8(now + 8) != load8(before + 8))
           | (load8(now + 16) != load8(before + 16)) | (now[24] != before[24]) | (now[25] != before[25]);
}

/* Lines first_line..last_line (of `lines`, the outputs' row length), the first starting at byte
   first_byte: one pass over the bytes in blocks of 64, the quotes, newlines, brackets and
   backslashes of each block as bitmasks, taken in order. Positions are the buffer's, so two
   threads can each scan a part into the same outputs; a part's first line has NEW_TIME set
   (the line before is the other thread's), which the caller mends. */
Py_ssize_t scan_lines(const Text *text, Py_ssize_t lines, Py_ssize_t max_line_bytes, int tail, int64_t *ints,
                      uint8_t *flags, Py_ssize_t first_byte, Py_ssize_t first_line, Py_ssize_t last_line) {
    enum { QUOTE, NEWLINE, BRACKET_BYTE, BACKSLASH };
    static const unsigned char wanted[4] = {'"', '\n', '[', '\\'};
    Quotes quotes = {.count = 0, .more = 0, .cursor = 0, .backslash = 0, .first_bracket = PY_SSIZE_T_MAX};
    Py_ssize_t line = first_line, start = first_byte;
    for (Py_ssize_t base = first_byte; base < text->size && line < last_line; base += 64) {
        uint64_t found[4];
        masks64(text, base, wanted, found);
        uint64_t events = found[QUOTE] | found[NEWLINE] | found[BRACKET_BYTE] | found[BACKSLASH];
        while (events && line < last_line) {
            int bit = __builtin_ctzll(events);
            uint64_t this = events & -events;
            events ^= this;
            Py_ssize_t at = base + bit;
            if (found[QUOTE] & this) {
                if (quotes.count < KEPT_QUOTES)
                    quotes.at[quotes.count++] = at;
                else
                    quotes.more = 1;
            } else if (found[NEWLINE] & this) {
                scan_line(text, &quotes, start, at, max_line_bytes, tail, line, lines, ints, flags);
                uint8_t changed = line == first_line || new_time(text, ints + BRACKET * lines, flags + SHAPED * lines, line);
                flags[NEW_TIME * lines + line] = changed;
                int64_t *seconds = ints + SECONDS * lines + line;
                if (!flags[SHAPED * lines + line])
                    *seconds = UNREAD_TIME;
                else /* a run of equal times is read once */
                    *seconds = changed ? epoch_seconds(text->bytes + ints[BRACKET * lines + line] + 1) : seconds[-1];
                line++;
                start = at + 1;
                quotes.count = quotes.more = quotes.backslash = 0;
                quotes.first_bracket = PY_SSIZE_T_MAX;
            } else if (found[BRACKET_BYTE] & this) {
                if (quotes.first_bracket == PY_SSIZE_T_MAX) quotes.first_bracket = at;
            } else {
                quotes.backslash = 1;
            }
        }
    }
    return line;
}

