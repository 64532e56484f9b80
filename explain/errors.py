"""Errors a user can act on: bad input, unusable columns, impossible options.

Defined here, in the leaf package, so explain/ needs nothing from segmentation/; segmentation.errors
re-exports the same class, so `except InputError` catches it whichever module raised it.
"""
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class InputError(ValueError):
    """The input cannot be segmented as asked; the message says what is wrong and what to do.

    The CLI turns it into exit code 2 and one line on stderr; the server shows it in the page.
    Control characters (a line break in a column name, say) are shown escaped: one line always.
    """

    def __init__(self, message: str = ""):
        text = _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], str(message))
        super().__init__(text)
