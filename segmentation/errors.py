"""Errors a user can act on: bad input, unusable columns, impossible options."""


class InputError(ValueError):
    """The input cannot be segmented as asked; the message says what is wrong and what to do.

    The CLI turns it into exit code 2 and one line on stderr; the server shows it in the page.
    """
