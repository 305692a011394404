"""The compiled kernel (`KERNEL`, None where it was not built), and cutting distinct values
into fields: requests into method, path and protocol, paths into sections, `host ident user`
prefixes into host and user.

Each cut is the capture of its pattern in analyzer.formats.patterns. The C kernel
(analyzer/formats/kernel_c/cuts.c) computes it by a byte walk, 5-20x faster than RE2 over the same
values; where the kernel was not built (no C compiler at install time) RE2 runs the pattern
itself, as every Common/Combined line is then read by RE2 (the reference path:
analyzer.formats.clf), which `warn_if_no_kernel` says. Tests set `KERNEL` to None to hold the
two equal on generated and hostile values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TextIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.formats.encoded import Encoded, dictionary_of
from analyzer.formats.patterns import PLAIN_PREFIX, REQUEST, SECTION, VHOST_PREFIX

try:
    from analyzer.formats import _kernel as KERNEL  # type: ignore[attr-defined]
except ImportError:  # no C compiler at install time: the regex paths do the same work
    KERNEL = None

NO_KERNEL = (
    "analyzer: no compiled kernel (analyzer/formats/_kernel, built by pip install with a C compiler):"
    " Common and Combined lines are read by the RE2 reference path, about 6x slower"
)
_told: list[TextIO] = []  # where NO_KERNEL was said: once a process

_REQUESTS, _SECTIONS, _PREFIXES = 0, 1, 2
# The key of the kernel's hash tables (kernel_c/hash.h), drawn once per process: the values
# hashed are chosen by whoever sends a request, and a key they cannot know keeps them from
# choosing values that share a slot (n such values cost n^2 / 2 probes). Tests may set it.
HASH_KEY = os.urandom(16)


def warn_if_no_kernel(stderr: TextIO) -> bool:
    """Where the kernel was not built, say so in one line on `stderr`, once a process (the
    commands call this at start); whether it was said now."""
    if KERNEL is not None or _told:
        return False
    _told.append(stderr)
    print(NO_KERNEL, file=stderr)
    return True


def slices(buffer: pa.Buffer, starts: np.ndarray, stops: np.ndarray) -> pa.Array:
    """The strings buffer[starts[i]:stops[i]] (UTF-8 where they are cut), copied by the kernel
    into a new array's buffers."""
    assert KERNEL is not None
    offsets = np.empty(len(starts) + 1, np.int64)
    starts, stops = np.ascontiguousarray(starts, np.int64), np.ascontiguousarray(stops, np.int64)
    joined = KERNEL.gather(buffer, starts, stops, offsets)
    return pa.Array.from_buffers(
        pa.large_string(), len(starts), [None, pa.py_buffer(offsets), pa.py_buffer(joined)]
    )


def split_requests(values: pa.Array) -> dict[str, pa.Array]:
    """Method, path and protocol of each request, as REQUEST captures them (missing where it
    does not match; "" for no protocol)."""
    if KERNEL is None:
        found = pc.extract_regex(values, REQUEST)
        return {name: pc.struct_field(found, name) for name in ("method", "path", "protocol")}
    return _strings(_request_cuts(values))


def sections(paths: pa.Array) -> pa.Array:
    """The section of each path, as SECTION captures it (missing where none)."""
    if KERNEL is None:
        return pc.struct_field(pc.extract_regex(paths, SECTION), "section")
    return _strings(_section_cuts(paths))["section"]


def split_prefixes(prefixes: pa.Array) -> dict[str, pa.Array]:
    """Host, user and vhost of each `[vhost:port] host ident user` prefix, as VHOST_PREFIX
    (where it matches) or else PLAIN_PREFIX capture them (missing where neither does)."""
    if KERNEL is None:
        vhost, plain = (pc.extract_regex(prefixes, pattern) for pattern in (VHOST_PREFIX, PLAIN_PREFIX))
        has_vhost = vhost.is_valid()
        return {
            "host": pc.if_else(has_vhost, pc.struct_field(vhost, "host"), pc.struct_field(plain, "host")),
            "user": pc.if_else(has_vhost, pc.struct_field(vhost, "user"), pc.struct_field(plain, "user")),
            "vhost": pc.struct_field(vhost, "vhost"),
        }
    return _strings(_prefix_cuts(prefixes))


# The same cuts dictionary-encoded: by the kernel where the values lie (only the distinct
# pieces are cut out), which is what dictionary_of gives for the strings above.


def request_fields(values: pa.Array) -> dict[str, Encoded]:
    """split_requests(values), each field dictionary-encoded (codes per value)."""
    if KERNEL is None:
        return {name: dictionary_of(found) for name, found in split_requests(values).items()}
    return _encoded(_request_cuts(values))


def encoded_sections(paths: pa.Array) -> Encoded:
    """sections(paths), dictionary-encoded (codes per path)."""
    if KERNEL is None:
        return dictionary_of(sections(paths))
    return _encoded(_section_cuts(paths))["section"]


def prefix_fields(prefixes: pa.Array) -> dict[str, Encoded]:
    """split_prefixes(prefixes), each field dictionary-encoded (codes per prefix)."""
    if KERNEL is None:
        return {name: dictionary_of(found) for name, found in split_prefixes(prefixes).items()}
    return _encoded(_prefix_cuts(prefixes))


@dataclass(frozen=True)
class _Cuts:
    """Where each field of each value lies in `data` (begin..end), and which values have it."""

    data: pa.Buffer
    starts: np.ndarray  # of the values: a missing field is left empty there, to keep the order
    fields: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # name: present, begin, end


def _request_cuts(values: pa.Array) -> _Cuts:
    data, offsets, ok = _spans(values)
    method_stop, path_stop, protocol = _split(_REQUESTS, data, offsets, 3)
    ok &= method_stop >= 0
    starts, stops = offsets[:-1], offsets[1:]
    protocol = np.where(protocol >= 0, protocol, stops)
    fields = {
        "method": (ok, starts, method_stop),
        "path": (ok, method_stop + 1, path_stop),
        "protocol": (ok, protocol, stops),
    }
    return _Cuts(data, starts, fields)


def _section_cuts(paths: pa.Array) -> _Cuts:
    data, offsets, ok = _spans(paths)
    (stop,) = _split(_SECTIONS, data, offsets, 1)
    starts = offsets[:-1]
    return _Cuts(data, starts, {"section": (ok & (stop >= 0), starts, stop)})


def _prefix_cuts(prefixes: pa.Array) -> _Cuts:
    data, offsets, ok = _spans(prefixes)
    host, host_stop, user, user_stop, vhost_stop = _split(_PREFIXES, data, offsets, 5)
    ok &= host >= 0
    starts = offsets[:-1]
    fields = {
        "host": (ok, host, host_stop),
        "user": (ok, user, user_stop),
        "vhost": (ok & (vhost_stop >= 0), starts, vhost_stop),
    }
    return _Cuts(data, starts, fields)


def _strings(cuts: _Cuts) -> dict[str, pa.Array]:
    """Each field as strings, missing where a value does not have it."""
    found = {}
    for name, (present, begin, end) in cuts.fields.items():
        left = cuts.starts  # a missing field: empty at the value's start, so the ranges stay in order
        strings = slices(cuts.data, np.where(present, begin, left), np.where(present, end, left))
        if not present.all():
            strings = pc.if_else(pa.array(present), strings, pa.scalar(None, pa.large_string()))
        found[name] = strings
    return found


def _encoded(cuts: _Cuts) -> dict[str, Encoded]:
    """Each field hashed where it lies (codes by first appearance, -1 where missing); only the
    distinct values are cut out."""
    found = {}
    for name, (present, begin, end) in cuts.fields.items():
        rows = np.flatnonzero(present)
        there = encoded_slices(cuts.data, begin[rows], end[rows])
        every = np.full(len(present), -1, np.int64)
        every[rows] = there.codes
        found[name] = Encoded(every, there.values)
    return found


def encoded_slices(buffer: pa.Buffer, starts: np.ndarray, stops: np.ndarray) -> Encoded:
    """dictionary_of(slices(buffer, starts, stops)) by the kernel: the ranges hashed where they
    lie (codes by first appearance), only the distinct ones cut out. Releases the GIL."""
    assert KERNEL is not None
    starts, stops = np.ascontiguousarray(starts, np.int64), np.ascontiguousarray(stops, np.int64)
    codes, firsts = np.empty(len(starts), np.int64), np.empty(len(starts), np.int64)
    (distinct,) = KERNEL.encode_ranges(buffer, 1, starts, stops, codes, firsts, HASH_KEY)
    first = firsts[:distinct]  # ascending rows: the ranges in buffer order, as slices needs
    return Encoded(codes, slices(buffer, starts[first], stops[first]))


def _spans(values: pa.Array) -> tuple[pa.Buffer, np.ndarray, np.ndarray]:
    """The bytes and offsets of a string array (value i is data[offsets[i]:offsets[i + 1]]),
    and which values are there (not null)."""
    values = values.cast(pa.large_string())
    _, offset_buffer, data = values.buffers()
    count = len(values)
    if offset_buffer is None:  # an empty array may come without buffers
        return pa.py_buffer(b""), np.zeros(count + 1, np.int64), np.ones(count, bool)
    offsets = np.frombuffer(offset_buffer, np.int64)[values.offset : values.offset + count + 1]
    present = values.is_valid().to_numpy(zero_copy_only=False)
    return data if data is not None else pa.py_buffer(b""), np.ascontiguousarray(offsets), present


def _split(kind: int, data: pa.Buffer, offsets: np.ndarray, rows: int) -> np.ndarray:
    out = np.empty((rows, len(offsets) - 1), np.int64)
    KERNEL.split(kind, data, offsets, out)
    return out
