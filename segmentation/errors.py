"""Errors a user can act on: bad input, unusable columns, impossible options.

The class lives in explain.errors (explain/ is a leaf that imports nothing from here); this is the
same class under the core's name.
"""
from explain.errors import InputError

__all__ = ["InputError"]
