"""Names that become folder and file names: project names, sweep ids, run ids.

Every name the store puts into a path is checked first, so that nothing is
ever written outside a sweep's directory: a sweep id, run id or writer id must
be one safe path component, ``[A-Za-z0-9][A-Za-z0-9_.-]{0,63}`` without
``..`` (:func:`check_id`); a project name follows W&B's looser rule, less a
few characters that a folder name cannot safely hold (:func:`check_project`).
New ids are 8 random characters from ``[0-9a-z]`` (:func:`new_id`): short,
safe in a URL and a file name, and unique across hosts without coordination.

>>> check_id("run id", "a1-b.c_d"), is_id("../x"), is_project("MNIST VAE SWEEP")
('a1-b.c_d', False, True)
>>> len(new_id()), set(new_id(12)) <= set("0123456789abcdefghijklmnopqrstuvwxyz")
(8, True)
"""

import os
import re
from typing import Any

from .errors import InvalidIdError

__all__ = ["check_id", "check_project", "is_id", "is_project", "new_id"]

_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
_PROJECT_FORBIDDEN = frozenset("/\\#?%:")
_PROJECT_RULE = "use 1 to 128 characters, none of / \\ # ? % : or a control character, not starting with '.'"
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def check_id(kind: str, value: Any) -> str:
    """Return ``value`` if it is a safe id (one path component), else raise.

    >>> check_id("run id", "a1-b.c_d")
    'a1-b.c_d'
    >>> check_id("sweep id", "../x")
    Traceback (most recent call last):
    ...
    minisweep.errors.InvalidIdError: invalid sweep id '../x': use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit, and no '..'

    Raises:
        InvalidIdError: ``value`` is not a string matching
            ``[A-Za-z0-9][A-Za-z0-9_.-]{0,63}``, or contains ``..``.
    """
    if not isinstance(value, str) or not _ID_RE.match(value) or ".." in value:
        raise InvalidIdError(kind, value)
    return value


def check_project(value: Any) -> str:
    """Return ``value`` if W&B would accept it as a project name and it is one safe folder name.

    W&B allows 1 to 128 characters except ``/ \\ # ? % :`` (spaces included:
    ``project="MNIST VAE SWEEP"`` is common); minisweep also refuses control
    characters and a leading ``.`` (so never ``.`` or ``..``), since the name
    is a folder under the store's root.

    >>> check_project("GCNN RNN with input mlp")
    'GCNN RNN with input mlp'
    >>> check_project("a/b")
    Traceback (most recent call last):
    ...
    minisweep.errors.InvalidIdError: invalid project 'a/b': use 1 to 128 characters, none of / \\ # ? % : or a control character, not starting with '.'

    Raises:
        InvalidIdError: ``value`` is not such a string.
    """
    if (not isinstance(value, str) or not 0 < len(value) <= 128 or value.startswith(".")
            or any(c in _PROJECT_FORBIDDEN or ord(c) < 32 or ord(c) == 127 for c in value)):
        raise InvalidIdError("project", value, _PROJECT_RULE)
    return value


def is_id(name: Any) -> bool:
    """Whether :func:`check_id` accepts ``name``."""
    try:
        check_id("sweep id", name)
    except InvalidIdError:
        return False
    return True


def is_project(name: Any) -> bool:
    """Whether :func:`check_project` accepts ``name``."""
    try:
        check_project(name)
    except InvalidIdError:
        return False
    return True


def new_id(length: int = 8) -> str:
    """A random id of ``length`` characters from ``[0-9a-z]``, from ``os.urandom``."""
    n = int.from_bytes(os.urandom(16), "big")
    chars = []
    for _ in range(length):
        n, r = divmod(n, 36)
        chars.append(_ALPHABET[r])
    return "".join(chars)
