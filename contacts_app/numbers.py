"""Numbers as people read them, one way on every page, toast and command: "20,044", "1 problem",
"2 problems" (never "problem(s)").

Each function takes a plain int (state, command line) or a Reflex Var (components), so a page
shows the same text whether the server or the browser formats it.
"""

from typing import TYPE_CHECKING, overload

if TYPE_CHECKING:
    from reflex.vars.base import Var

# Thousands with a comma, as en-US writes them, in Python (f"{n:,}") and in the browser alike.
LOCALE = "en-US"


@overload
def count(value: int) -> str: ...
@overload
def count(value: "Var") -> "Var": ...
def count(value):
    """20044 -> "20,044"."""
    if isinstance(value, int):
        return f"{value:,}"
    from reflex.vars.base import Var

    return Var(
        _js_expr=f"Number({value}).toLocaleString({LOCALE!r})",
        _var_type=str,
        _var_data=value._get_all_var_data(),
    ).guess_type()


@overload
def counted(value: int, singular: str, plural: str | None = None) -> str: ...
@overload
def counted(value: "Var", singular: str, plural: str | None = None) -> "Var": ...
def counted(value, singular, plural=None):
    """(1, "problem") -> "1 problem"; (20044, "problem") -> "20,044 problems"."""
    plural = plural or f"{singular}s"
    if isinstance(value, int):
        return f"{count(value)} {singular if value == 1 else plural}"
    import reflex as rx

    return rx.cond(value == 1, f"1 {singular}", count(value) + f" {plural}")
