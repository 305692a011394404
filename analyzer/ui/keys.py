"""Keys: the bytes a terminal sends, as key names, and what each does to the view; pure.

A key either changes what the screen shows (panels, scrolling, help, the screen's pause) or
asks the monitor for something (`q`, and for a replay Space, `+`, `-`): those come back as
actions, which the monitor collects each poll.
"""

from __future__ import annotations

from dataclasses import replace

from analyzer.ui.display import FASTER, PLAY_PAUSE, QUIT, SLOWER, Action, Filter
from analyzer.ui.layout import PANELS, Frame, View
from analyzer.ui.lens import CHOOSABLE, SORTS, Lens, back, choose, typing

SEQUENCES = {
    b"\x1b[A": "up",
    b"\x1bOA": "up",
    b"\x1b[B": "down",
    b"\x1bOB": "down",
    b"\x1b[C": "right",
    b"\x1bOC": "right",
    b"\x1b[D": "left",
    b"\x1bOD": "left",
    b"\x1b[5~": "pgup",
    b"\x1b[6~": "pgdn",
    b"\x1b[H": "home",
    b"\x1bOH": "home",
    b"\x1b[1~": "home",
    b"\x1b[7~": "home",
    b"\x1b[F": "end",
    b"\x1bOF": "end",
    b"\x1b[4~": "end",
    b"\x1b[8~": "end",
    b"\x1b[Z": "backtab",
}
NAMED = {b"\t": "tab", b" ": "space", b"\r": "enter", b"\n": "enter", b"\x7f": "backspace"}
NAMED[b"\x08"] = "backspace"
ACTIONS = {"q": QUIT, "Q": QUIT, "space": PLAY_PAUSE, "+": FASTER, "=": FASTER, "-": SLOWER, "_": SLOWER}


def parse_keys(data: bytes) -> list[str]:
    """Key names in the order typed: printable characters as themselves, escape sequences
    (arrows, PgUp, ...) by name, a lone ESC as `esc`; anything else is left out."""
    keys: list[str] = []
    at = 0
    while at < len(data):
        byte = data[at : at + 1]
        if byte == b"\x1b":
            kind = data[at + 1 : at + 2]
            if kind == b"[":  # CSI: parameters, then one final byte in @..~
                end = at + 2
                while end < len(data) and not 0x40 <= data[end] <= 0x7E:
                    end += 1
                sequence, at = data[at : end + 1], end + 1
            elif kind == b"O" and at + 2 < len(data):  # SS3: one byte (application cursor keys)
                sequence, at = data[at : at + 3], at + 3
            else:
                sequence, at = b"\x1b", at + 1
            name = "esc" if sequence == b"\x1b" else SEQUENCES.get(sequence)
            if name:
                keys.append(name)
            continue
        at += 1
        if byte in NAMED:
            keys.append(NAMED[byte])
        elif 0x21 <= byte[0] <= 0x7E:
            keys.append(byte.decode("ascii"))
    return keys


def _lensed(view: View, lens: Lens) -> tuple[View, Action | None]:
    """The view through `lens`; the monitor is asked to count what it filters when that changed."""
    changed = lens.terms != view.lens.terms
    view = replace(view, lens=lens, scroll=0 if lens.drill != view.lens.drill else view.scroll)
    return view, Filter(lens.terms, lens.words) if changed else None


def press(view: View, key: str, frame: Frame) -> tuple[View, Action | None]:  # noqa: PLR0911 (one a kind of key)
    """The view after `key`, and the action it asks of the monitor (None: only the view)."""
    lens = view.lens
    if lens.typed is not None:  # the `/` prompt takes every key
        return _lensed(view, typing(lens, key))
    if key in ACTIONS:
        return view, ACTIONS[key]
    count = len(PANELS)
    if key == "/" and not view.help:
        return replace(view, lens=replace(lens, typed="", error="")), None
    if key == "s" and not view.help:
        return replace(view, lens=replace(lens, sort=(lens.sort + 1) % len(SORTS))), None
    if key == "esc" and not view.help and not lens.quiet:
        return _lensed(view, back(lens))
    if PANELS[view.panel % count] in CHOOSABLE and lens.drill is None and not view.help:
        if key == "enter" and frame.choices:
            chosen = frame.choices[min(lens.selected, len(frame.choices) - 1)]
            kind = CHOOSABLE[PANELS[view.panel % count]]
            return _lensed(view, replace(lens, drill=(kind, str(chosen))))
        moved = choose(lens, key, len(frame.choices), frame.page) if frame.choices else None
        if moved is not None:  # the scroll follows the row chosen (a heading scrolls in status)
            at = moved.selected + (1 if PANELS[view.panel % count] == "status" else 0)
            scroll = min(max(view.scroll, at - max(1, frame.page) + 1), at)
            return replace(view, lens=moved, scroll=scroll), None
    scrolls = {
        "up": view.scroll - 1,
        "k": view.scroll - 1,
        "down": view.scroll + 1,
        "j": view.scroll + 1,
        "pgup": view.scroll - max(1, frame.page),
        "pgdn": view.scroll + max(1, frame.page),
        "home": 0,
        "end": frame.scroll_max,
    }
    if key in scrolls and not view.help:
        return replace(view, scroll=min(max(0, scrolls[key]), frame.scroll_max)), None
    toggles = {
        "?": replace(view, help=not view.help),
        "h": replace(view, help=not view.help),  # help where `?` needs Shift (and people try h)
        "esc": replace(view, help=False),
        "p": replace(view, paused=not view.paused),
        "P": replace(view, paused=not view.paused),
    }
    if key in toggles:
        return toggles[key], None
    panels = {
        "tab": view.panel + 1,
        "right": view.panel + 1,
        "backtab": view.panel - 1,
        "left": view.panel - 1,
    }
    panels.update({str((number + 1) % 10): number for number in range(min(count, 10))})
    if key in panels:
        view, asked = _lensed(view, replace(lens, drill=None, selected=0))
        return replace(view, panel=panels[key] % count, scroll=0, help=False), asked
    return view, None
