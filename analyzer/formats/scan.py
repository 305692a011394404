"""Where the fields of Common/Combined lines are: numpy over the raw bytes, no regex.

The scan finds the line ends and, for each line, the request's quotes, then checks at fixed
offsets from them that the line has the usual shape: `[`, a 26-byte time, `] "`, the
request, `" `, three status digits, a space, the size (digits or `-`). It reads 8 bytes at a
time (unaligned 64-bit loads) and tells digits by SWAR arithmetic, so the per-line work is a
few dozen numpy operations over arrays of line positions, not a pass over every byte.

It only vouches for shape; what the shape cannot show (that the prefix is three words, that
the time parses) is checked once per distinct value by the caller (analyzer.formats.fast).
A line it does not vouch for is left to the RE2 path, so a rare odd line costs nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WORD_BITS = 64
SPARE_WORDS = 4  # zero words past the end of a bitmap, so a look a few words ahead stays inside
QUOTE, NEWLINE, BRACKET, BACKSLASH, SPACE, DASH = 0x22, 0x0A, 0x5B, 0x5C, 0x20, 0x2D
TIME_WIDTH = 26  # dd/Mon/yyyy:HH:MM:SS +zzzz
MAX_SIZE_DIGITS = 15  # two 64-bit loads; longer sizes (1 PB or more) take the RE2 path
_ONE = np.uint64(1)
_ALL = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
_BYTE = np.uint64(0xFF)
_LOW7 = np.uint64(0x7F7F_7F7F_7F7F_7F7F)
_HIGH = np.uint64(0x8080_8080_8080_8080)
_ZEROS = np.uint64(0x3030_3030_3030_3030)  # "00000000"
_PAST_NINE = np.uint64(0x7676_7676_7676_7676)  # 0x7f - 9 in every byte
_CLOSE = np.uint64(0x22_20_5D)  # `] "` as three little-endian bytes
# The time's 26 bytes within the 32 loaded from its `[`: all but the `[`, up to the `]`.
_TIME_BYTES = np.array([0xFFFF_FFFF_FFFF_FF00, 2**64 - 1, 2**64 - 1, 0xFF_FFFF], np.uint64)


def _u64(value: int) -> np.uint64:
    return np.uint64(value)


class Bits:
    """The positions of one byte value in a buffer, as a bitmap of 64-bit words."""

    def __init__(self, buf: np.ndarray, byte: int) -> None:
        packed = np.packbits(buf == byte, bitorder="little")
        padded = np.zeros((len(packed) + 7) // 8 * 8 + 8 * SPARE_WORDS, np.uint8)
        padded[: len(packed)] = packed
        self.words = padded.view(np.uint64)
        self.size = len(buf)

    def positions(self) -> np.ndarray:
        """Every position holding the byte, ascending."""
        at = np.flatnonzero(self.words != 0)
        words = self.words[at]
        counts = np.bitwise_count(words).astype(np.int64)
        slots = np.cumsum(counts) - counts  # where each word's first position goes
        found = np.empty(int(counts.sum()), np.int64)
        base = at.astype(np.int64) * WORD_BITS
        nth = 0
        while len(words):  # one round per position within a word: rarely more than two
            lowest = words & (~words + _ONE)
            found[slots + nth] = base + np.bitwise_count(lowest - _ONE)
            words = words ^ lowest
            left = np.flatnonzero(words)
            words, base, slots = words[left], base[left], slots[left]
            nth += 1
        return found

    def next_from(
        self, start: np.ndarray, limit: np.ndarray, words_ahead: int = SPARE_WORDS - 1
    ) -> np.ndarray:
        """For each start, the first position >= start and < limit holding the byte, else limit.

        The first `words_ahead` words (192 bytes) are looked at for every start at once;
        the few starts not answered there go on word by word.
        """
        start = np.minimum(start, self.size)
        word = start // WORD_BITS
        first = self.words[word] & (_ALL << (start % WORD_BITS).astype(np.uint64))
        result = np.full(len(start), -1, np.int64)
        pending = np.ones(len(start), bool)
        for ahead in range(words_ahead):
            bits = first if ahead == 0 else self.words[word + ahead]
            hit = pending & (bits != 0)
            result = np.where(hit, (word + ahead) * WORD_BITS + _lowest_bit(bits), result)
            pending &= ~hit
        rest = np.flatnonzero(pending & ((word + words_ahead) * WORD_BITS < limit))
        word = word[rest] + words_ahead
        while len(rest):
            bits = self.words[np.minimum(word, len(self.words) - 1)]
            hit = bits != 0
            result[rest[hit]] = word[hit] * WORD_BITS + _lowest_bit(bits[hit])
            go = ~hit & ((word + 1) * WORD_BITS < limit[rest])
            rest, word = rest[go], word[go] + 1
        return np.where((result >= 0) & (result < limit), result, limit)


def _lowest_bit(words: np.ndarray) -> np.ndarray:
    """Index of the lowest set bit of each word (64 for a word of zeros)."""
    return np.bitwise_count((words & (~words + _ONE)) - _ONE).astype(np.int64)


def load8(data: bytes, at: np.ndarray) -> np.ndarray:
    """The 8 bytes at each position as a little-endian uint64 (bytes past the end read as 0)."""
    if len(data) < 8:
        data = data + bytes(8 - len(data))
    view = np.ndarray((len(data) - 7,), np.uint64, buffer=data, strides=(1,))
    last = len(data) - 8
    at = np.clip(at, 0, None)
    words = view[np.minimum(at, last)]
    near_end = at > last
    if near_end.any():  # the last 8 bytes of the buffer, padded with zeros
        tail = np.frombuffer(data[-8:] + bytes(16), np.uint8)
        offsets = np.minimum(at[near_end] - last, 16)
        lanes = tail[offsets[:, None] + np.arange(8)].astype(np.uint64)
        words[near_end] = (lanes << (np.arange(8, dtype=np.uint64) * _u64(8))).sum(axis=1, dtype=np.uint64)
    return words


def byte_at(words: np.ndarray, lane: int) -> np.ndarray:
    """Byte `lane` (0 = the lowest address) of each loaded word."""
    return (words >> _u64(8 * lane)) & _BYTE


def leading_digits(words: np.ndarray) -> np.ndarray:
    """How many of the 8 loaded bytes, from the first, are ASCII digits (0-8)."""
    codes = words ^ _ZEROS  # a digit becomes 0..9
    not_digit = (((codes & _LOW7) + _PAST_NINE) | codes) & _HIGH
    return np.where(not_digit == 0, 8, _lowest_bit(not_digit) // 8)


def digits_value(words: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The number written by the first `count` (1-8) bytes of each word, all digits (SWAR)."""
    codes = (words ^ _ZEROS) << (_u64(64) - count.astype(np.uint64) * _u64(8))  # leading zero bytes
    codes = np.where(count == 0, _u64(0), codes)
    pairs = (codes * _u64(10) + (codes >> _u64(8))) & _u64(0x00FF_00FF_00FF_00FF)
    quads = (pairs * _u64(100) + (pairs >> _u64(16))) & _u64(0x0000_FFFF_0000_FFFF)
    return ((quads * _u64(10000) + (quads >> _u64(32))) & _u64(0xFFFF_FFFF)).astype(np.int64)


@dataclass(frozen=True)
class Head:
    """Positions in the buffer of each line's fields; meaningful where `shaped` holds."""

    starts: np.ndarray  # first byte of each line
    ends: np.ndarray  # its newline
    shaped: np.ndarray  # the line has the shape the RE2 line pattern needs, as far as bytes show
    bracket: np.ndarray  # the `[` before the time: the prefix is starts..bracket
    new_time: np.ndarray  # the 26 bytes of the time differ from the line before's (runs of equal times)
    request: np.ndarray  # just after the request's opening quote
    request_end: np.ndarray  # its closing quote
    status: np.ndarray  # int16
    size: np.ndarray  # int64 (`-` is 0)
    size_end: np.ndarray  # just after the size: where the Combined tail (` "referer" "agent"`) starts


BLOCK_LINES = 8192  # lines scanned together: their bytes stay in the core's cache between loads


def scan(data: bytes, max_line_bytes: int) -> Head:
    """Find the fields of every line of `data` (complete lines, each ending in `\\n`)."""
    buf = np.frombuffer(data, np.uint8)
    ends = line_ends(data)
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)
    quotes = Bits(buf, QUOTE)
    blocks = [
        _scan_block(
            data,
            quotes,
            starts[first : first + BLOCK_LINES],
            ends[first : first + BLOCK_LINES],
            max_line_bytes,
        )
        for first in range(0, len(ends), BLOCK_LINES)
    ]  # a loop over blocks of lines, each done in numpy
    joined = [np.concatenate([np.zeros(0, np.int64)] + [block[k] for block in blocks]) for k in range(8)]
    if blocks:  # a block's first line was compared with nothing: compare it with the line before
        firsts = np.arange(BLOCK_LINES, len(ends), BLOCK_LINES)
        joined[2][firsts] |= _time_key(data, joined[1][firsts]) != _time_key(data, joined[1][firsts - 1])
    shaped, bracket, new_time, request, request_end, status, size, size_end = joined
    return Head(starts, ends, shaped.astype(bool), bracket, new_time.astype(bool), request, request_end,
                status.astype(np.int16), size, size_end)  # fmt: skip


def _time_key(data: bytes, bracket: np.ndarray) -> np.ndarray:
    """The 26 bytes after each `[` as one comparable value (a structured view of 4 words)."""
    words = np.stack([load8(data, bracket + 8 * k) for k in range(4)], axis=1) & _TIME_BYTES
    return words.view([("w", np.uint64, 4)]).ravel()


def _scan_block(
    data: bytes, quotes: Bits, starts: np.ndarray, ends: np.ndarray, max_line_bytes: int
) -> list[np.ndarray]:
    opening = quotes.next_from(starts, ends)
    bracket = opening - (TIME_WIDTH + 3)
    closing = quotes.next_from(opening + 1, ends)
    shaped = (bracket >= starts) & (closing < ends) & (ends - starts <= max_line_bytes)
    time_words = [load8(data, bracket + 8 * k) for k in range(4)]
    shaped &= (byte_at(time_words[0], 0) == BRACKET) & (
        (time_words[3] >> _u64(24)) & _u64(0xFFFFFF) == _CLOSE
    )
    new_time = np.zeros(len(starts), bool)
    for word, mask in zip(time_words, _TIME_BYTES, strict=True):
        masked = word & mask
        new_time[1:] |= masked[1:] != masked[:-1]
    # the first line is compared with the line before the block by the caller
    around = load8(data, closing - 1)  # `x" ddd s`: x is no backslash, then the status
    shaped &= (
        (byte_at(around, 0) != BACKSLASH) & (byte_at(around, 2) == SPACE) & (byte_at(around, 6) == SPACE)
    )
    status_digits = (around >> _u64(24)) & _u64(0xFFFFFF)
    shaped &= leading_digits(status_digits) == 3  # the zero lanes after them are no digits
    status = digits_value(status_digits, np.full(len(starts), 3))
    digits, size, dash = _size(data, closing + 6)
    shaped &= ((digits > 0) & (digits <= MAX_SIZE_DIGITS)) | dash
    size_end = closing + 6 + np.where(dash, 1, digits)
    return [shaped, bracket, new_time, opening + 1, closing, status, size, size_end]


def _size(data: bytes, at: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How many digits start at each position (at most 16), the number they write, and
    whether there is a `-` instead."""
    first = load8(data, at)
    digits = leading_digits(first)
    dash = (digits == 0) & (byte_at(first, 0) == DASH)
    size = digits_value(first, digits)
    long = np.flatnonzero(digits == 8)  # 8 digits or more: the next 8 bytes too
    if len(long):
        more = load8(data, at[long] + 8)
        extra = leading_digits(more)
        digits[long] += extra
        size[long] = size[long] * 10**extra + digits_value(more, extra)
    return digits, np.where(dash, 0, size), dash


def line_ends(data: bytes) -> np.ndarray:
    """The position of every newline in `data`."""
    return Bits(np.frombuffer(data, np.uint8), NEWLINE).positions()
