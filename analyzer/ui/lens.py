"""What the screen looks through: the `/` filter, the drill-down and the sort; pure.

Keys change a `Lens`; when its terms change the monitor is asked (a `display.Filter`) to
count the requests they match apart, from then on (`core.focus`). The filter takes the
syntax of `--only` (docs/filters.md); a drill-down adds one term: `section:/api`,
`host:203.0.113.7` or a status class. A bad expression is said on one line, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from analyzer.formats.select import SelectError, Term, expression, parse_expression

# The window's hits, the last interval's share, the rise over the window before (as drivers).
SORTS = ("hits", "share", "rise")
CHOOSABLE = {"sections": "section", "hosts": "host", "status": "status"}  # panel: drill kind
MAX_TYPED = 200  # characters the prompt takes


@dataclass(frozen=True)
class Lens:
    filter: tuple[Term, ...] = ()  # the filter applied (every term must match)
    typed: str | None = None  # the `/` prompt's text while typing (None: not typing)
    error: str = ""  # why the last expression typed was refused
    drill: tuple[str, str] | None = None  # (kind, name): ("section", "/api")
    selected: int = 0  # the row chosen in a panel of CHOOSABLE
    sort: int = 0  # index in SORTS

    @property
    def terms(self) -> tuple[Term, ...]:
        """What the focus counts: the filter's terms and the drill-down's."""
        return self.filter + ((drill_term(*self.drill),) if self.drill else ())

    @property
    def words(self) -> str:
        return expression(self.terms)

    @property
    def sort_name(self) -> str:
        return SORTS[self.sort % len(SORTS)]

    @property
    def quiet(self) -> bool:
        """Nothing set: the main view."""
        return not (self.filter or self.drill or self.typed is not None or self.error)


def drill_term(kind: str, name: str) -> Term:
    """The term a drill-down into `name` adds (a status class row is a class term)."""
    return Term({"section": "section", "host": "host"}.get(kind, "class"), name)


def typing(lens: Lens, key: str) -> Lens:  # noqa: PLR0911 (one return a key)
    """A key at the `/` prompt: text, Backspace, Enter applies, Esc leaves it."""
    typed = lens.typed or ""
    if key == "esc":
        return replace(lens, typed=None)
    if key == "enter":
        if not typed.strip():
            return replace(lens, typed=None, filter=(), error="")
        try:
            terms = parse_expression(typed)
        except SelectError as error:
            return replace(lens, typed=None, error=str(error))
        return replace(lens, typed=None, filter=terms, error="", selected=0)
    if key == "backspace":
        return replace(lens, typed=typed[:-1])
    text = " " if key == "space" else key
    if len(text) == 1 and len(typed) < MAX_TYPED:
        return replace(lens, typed=typed + text)
    return lens


def back(lens: Lens) -> Lens:
    """Esc: out of a drill-down (and its error), else the filter cleared."""
    if lens.drill is not None or lens.error:
        return replace(lens, drill=None, error="")
    return replace(lens, filter=())


def choose(lens: Lens, key: str, choices: int, page: int) -> Lens | None:
    """A move of the selection among `choices` rows (None: not a move)."""
    moves = {"up": -1, "k": -1, "down": 1, "j": 1, "pgup": -max(1, page), "pgdn": max(1, page)}
    if key in ("home", "end"):
        return replace(lens, selected=0 if key == "home" else max(0, choices - 1))
    if key not in moves:
        return None
    return replace(lens, selected=min(max(0, lens.selected + moves[key]), max(0, choices - 1)))


def prompt(lens: Lens) -> str:
    """The line that says it: the prompt while typing, the error, or the filter."""
    if lens.typed is not None:
        return f"filter: {lens.typed}_  (Enter applies, Esc leaves; as --only, docs/filters.md)"
    if lens.error:
        return f"{lens.error} (Esc)"
    return f"filter: {expression(lens.filter)}" if lens.filter else ""
