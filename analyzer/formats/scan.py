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

from dataclasses import dataclass, field

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


BITMAP_BLOCK = 1 << 18  # bytes compared at a time: the block and its booleans stay in the core's cache


class Bits:
    """The positions of one byte value in a buffer, as a bitmap of 64-bit words."""

    def __init__(self, buf: np.ndarray, byte: int, padded: np.ndarray | None = None) -> None:
        if padded is None:
            packed = np.packbits(buf == byte, bitorder="little")
            padded = np.zeros((len(packed) + 7) // 8 * 8 + 8 * SPARE_WORDS, np.uint8)
            padded[: len(packed)] = packed
        self.words = padded.view(np.uint64)
        self.size = len(buf)

    @staticmethod
    def of(buf: np.ndarray, values: tuple[int, ...]) -> list[Bits]:
        """The bitmaps of several byte values, made in one pass over the buffer in blocks
        (each block read once, its comparisons kept in cache, not one pass per value)."""
        packed_size = (len(buf) + 7) // 8
        padded = [np.zeros((packed_size + 7) // 8 * 8 + 8 * SPARE_WORDS, np.uint8) for _ in values]
        same = np.empty(min(len(buf), BITMAP_BLOCK), bool)
        for start in range(0, len(buf), BITMAP_BLOCK):  # a loop over blocks of bytes, not lines
            block = buf[start : start + BITMAP_BLOCK]
            for value, bitmap in zip(values, padded, strict=True):
                found = np.packbits(np.equal(block, value, out=same[: len(block)]), bitorder="little")
                bitmap[start // 8 : start // 8 + len(found)] = found
        return [Bits(buf, value, bitmap) for value, bitmap in zip(values, padded, strict=True)]

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

    def next_from(self, start: np.ndarray, limit: np.ndarray) -> np.ndarray:
        """For each start, the first position >= start and < limit holding the byte, else limit.

        The word holding each start is looked at for every start at once; only the starts not
        answered there go on, word by word, as ever fewer.
        """
        start = np.minimum(start, self.size)
        word = start // WORD_BITS
        bits = self.words[word] & (_ALL << (start % WORD_BITS).astype(np.uint64))
        result = word * WORD_BITS + _lowest_bit(bits)
        rest = np.flatnonzero(bits == 0)
        result[rest] = limit[rest]
        word = word[rest] + 1
        rest, word = _going_on(rest, word, limit)
        while len(rest):
            bits = self.words[word]
            hit = bits != 0
            result[rest[hit]] = word[hit] * WORD_BITS + _lowest_bit(bits[hit])
            rest, word = _going_on(rest[~hit], word[~hit] + 1, limit)
        return np.minimum(result, limit)


def _going_on(rest: np.ndarray, word: np.ndarray, limit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The searches whose next word still starts before their limit."""
    go = word * WORD_BITS < limit[rest]
    return rest[go], word[go]


def _lowest_bit(words: np.ndarray) -> np.ndarray:
    """Index of the lowest set bit of each word (63 for a word of zeros: callers tell those apart)."""
    return np.bitwise_count(words ^ (words - _ONE)).astype(np.int64) - 1


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
    # With `tail`, the tail's quoted fields by their quotes (else empty); `tailed`: it starts ` "referer" "`
    # and the agent's quote closes (a backslash in either field can move a quote: the caller checks).
    tailed: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    referer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # just after its quote
    referer_end: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # its closing quote
    agent_end: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # from referer_end + 3
    # By the C kernel only (empty here: the caller checks per distinct value): the prefix reads as
    # WHOLE_PREFIX; no tail field holds a backslash; epoch seconds (or kernel.UNREAD_TIME).
    whole_prefix: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    plain_tail: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    seconds: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


BLOCK_LINES = 8192  # lines scanned together: their bytes stay in the core's cache between loads
_FIELDS = ("shaped", "bracket", "new_time", "request", "request_end", "status", "size", "size_end")
_TAIL_FIELDS = ("tailed", "referer", "referer_end", "agent_end")


def scan(data: bytes, max_line_bytes: int, tail: bool = False) -> Head:
    """Find the fields of every line of `data` (complete lines, each ending in `\\n`);
    with `tail`, the Combined tail's quoted fields too."""
    buf = np.frombuffer(data, np.uint8)
    newlines, quotes = Bits.of(buf, (NEWLINE, QUOTE))
    ends = newlines.positions()
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)
    names = _FIELDS + (_TAIL_FIELDS if tail else ())
    blocks = [
        _scan_block(
            data, quotes, starts[at : at + BLOCK_LINES], ends[at : at + BLOCK_LINES], max_line_bytes, tail
        )
        for at in range(0, len(ends), BLOCK_LINES)
    ]  # a loop over blocks of lines, each done in numpy
    joined = {
        name: np.concatenate([np.zeros(0, np.int64)] + [block[name] for block in blocks]) for name in names
    }
    if blocks:  # a block's first line was compared with nothing: compare it with the line before
        firsts = np.arange(BLOCK_LINES, len(ends), BLOCK_LINES)
        bracket = joined["bracket"]
        joined["new_time"][firsts] |= _time_key(data, bracket[firsts]) != _time_key(data, bracket[firsts - 1])
    for name in ("shaped", "new_time", "tailed"):
        if name in joined:
            joined[name] = joined[name].astype(bool)
    joined["status"] = joined["status"].astype(np.int16)
    return Head(starts, ends, **joined)


def _time_key(data: bytes, bracket: np.ndarray) -> np.ndarray:
    """The 26 bytes after each `[` as one comparable value (a structured view of 4 words)."""
    words = np.ascontiguousarray(load_words(data, bracket, 4) & _TIME_BYTES)
    return words.view([("w", np.uint64, 4)]).ravel()


def load_words(data: bytes, at: np.ndarray, count: int) -> np.ndarray:
    """The 8 * count bytes at each position as `count` little-endian uint64 per row (as load8:
    bytes past the end read as 0). One gather of 8 * count-byte items, not one per word."""
    span = 8 * count
    words = np.zeros((len(at), count), np.uint64)
    if len(data) >= span:
        items = np.ndarray((len(data) - span + 1,), np.dtype((np.void, span)), buffer=data, strides=(1,))
        last = len(data) - span
        words = items[np.clip(at, 0, last)].view(np.uint64).reshape(len(at), count)
        odd = np.flatnonzero((at < 0) | (at > last))
    else:
        odd = np.arange(len(at))
    if len(odd):
        words[odd] = np.stack([load8(data, at[odd] + 8 * k) for k in range(count)], axis=1)
    return words


def _scan_block(
    data: bytes, quotes: Bits, starts: np.ndarray, ends: np.ndarray, max_line_bytes: int, tail: bool
) -> dict[str, np.ndarray]:
    opening = quotes.next_from(starts, ends)
    bracket = opening - (TIME_WIDTH + 3)
    closing = quotes.next_from(opening + 1, ends)
    shaped = (bracket >= starts) & (closing < ends) & (ends - starts <= max_line_bytes)
    words = load_words(data, bracket, 4)
    shaped &= (byte_at(words[:, 0], 0) == BRACKET) & ((words[:, 3] >> _u64(24)) & _u64(0xFFFFFF) == _CLOSE)
    time = words & _TIME_BYTES
    # the first line is compared with the line before the block by the caller
    new_time = np.zeros(len(starts), bool)
    if len(starts) > 1:
        differ = (time[1:] != time[:-1]).view(np.uint32)  # 4 bools a row, as one number
        new_time[1:] = differ.ravel() != 0
    around = load_words(data, closing - 1, 3)  # `x" ddd s`: x is no backslash, then the status
    first = around[:, 0]
    shaped &= (byte_at(first, 0) != BACKSLASH) & (byte_at(first, 2) == SPACE) & (byte_at(first, 6) == SPACE)
    status_digits = (first >> _u64(24)) & _u64(0xFFFFFF)
    shaped &= leading_digits(status_digits) == 3  # the zero lanes after them are no digits
    status = digits_value(status_digits, np.full(len(starts), 3))
    # the size starts at lane 7 of the first word: two words from there, by shifts
    size_words = (around[:, :2] >> _u64(56)) | (around[:, 1:] << _u64(8))
    digits, size, dash = _size(size_words[:, 0], size_words[:, 1])
    shaped &= ((digits > 0) & (digits <= MAX_SIZE_DIGITS)) | dash
    size_end = closing + 6 + np.where(dash, 1, digits)
    found = dict(zip(_FIELDS, [shaped, bracket, new_time, opening + 1, closing, status, size, size_end],
                     strict=True))  # fmt: skip
    if tail:
        found |= _tail(data, quotes, size_end, ends)
    return found


def _tail(data: bytes, quotes: Bits, size_end: np.ndarray, ends: np.ndarray) -> dict[str, np.ndarray]:
    """The quotes of ` "referer" "agent"` after the size (see Head.tailed)."""
    opened = (load8(data, size_end) & _u64(0xFFFF)) == _u64(0x22_20)  # ` "`
    referer_end = quotes.next_from(size_end + 2, ends)
    between = (load8(data, referer_end) & _u64(0xFFFFFF)) == _u64(0x22_20_22)  # `" "`
    agent_end = quotes.next_from(referer_end + 3, ends)
    tailed = opened & between & (referer_end < ends) & (agent_end < ends)
    return dict(zip(_TAIL_FIELDS, [tailed, size_end + 2, referer_end, agent_end], strict=True))


def _size(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How many digits the 16 bytes of two words start with (at most 16), the number they
    write, and whether there is a `-` instead."""
    digits = leading_digits(first)
    dash = (digits == 0) & (byte_at(first, 0) == DASH)
    size = digits_value(first, digits)
    long = np.flatnonzero(digits == 8)  # 8 digits or more: the next 8 bytes too
    if len(long):
        extra = leading_digits(second[long])
        digits[long] += extra
        size[long] = size[long] * 10**extra + digits_value(second[long], extra)
    return digits, np.where(dash, 0, size), dash


def line_ends(data: bytes) -> np.ndarray:
    """The position of every newline in `data`."""
    return Bits(np.frombuffer(data, np.uint8), NEWLINE).positions()
