"""``wandb.util``: the helpers sweep scripts call, chiefly ``generate_id()``.

>>> len(generate_id()), generate_id(4).isalnum()
(8, True)
"""

import os
from typing import Any

__all__ = ["generate_id", "make_artifact_name_safe", "to_forward_slash_path"]

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def generate_id(length: int = 8) -> str:
    """A random run id of lowercase letters and digits, as W&B makes them."""
    raw = os.urandom(length)
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in raw)


def make_artifact_name_safe(name: str) -> str:
    """``name`` with every character W&B refuses in artifact names replaced by ``_``."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(name))[:128]


def to_forward_slash_path(path: Any) -> str:
    return str(path).replace("\\", "/")
