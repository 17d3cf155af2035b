"""The whole package as one file: a zipapp for machines where nothing can be installed.

``python3 -m minisweep zipapp -o minisweep.pyz`` writes the running package
into a single file in the format of the standard library's :mod:`zipapp`: a
``#!`` line, then a zip archive holding the package and a ``__main__.py``
that runs its command line.  Copy that one file to a cluster and:

- ``python3 minisweep.pyz sweep sweep.yaml`` (or ``agent``, ``status`` ...)
  is the ``minisweep`` command;
- ``sys.path.insert(0, "minisweep.pyz"); import minisweep`` is the library,
  because Python imports from a zip file on ``sys.path`` (``zipimport``).

Nothing in the package reads its own files through ``__file__``, so it works
from inside the archive; the command-mode agent puts the archive on its
children's ``PYTHONPATH`` so that a training script's ``import minisweep``
finds it there too (:func:`child_pythonpath`).

The file is deterministic: the same package source gives the same bytes (on
any interpreter), so two copies can be compared with a checksum.  That is why
it is written here with :mod:`zipfile` rather than by
``zipapp.create_archive``, which stamps each entry with a file's or the
clock's time: entries are sorted by name, dated 1980-01-01 (the zip format's
epoch), marked ``rw-r--r--`` and stored uncompressed (compressed bytes could
differ between zlib versions).  Compiled ``.pyc`` files are left out, as
``zipimport`` compiles from source in memory.

>>> import io, zipfile
>>> buf = io.BytesIO()
>>> count = write_zipapp(buf)
>>> buf.getvalue()[:23]
b'#!/usr/bin/env python3\\n'
>>> names = zipfile.ZipFile(buf).namelist()
>>> names[0], "minisweep/cli.py" in names, len(names) == count
('__main__.py', True, True)
"""

import os
import sys
from typing import Any, BinaryIO, List, Optional, Tuple, Union

__all__ = ["package_name", "package_entry", "package_files", "write_zipapp", "child_pythonpath",
           "DEFAULT_PYTHON"]

#: The interpreter named by the ``#!`` line unless told otherwise (as ``zipapp`` does with ``-p``).
DEFAULT_PYTHON = "/usr/bin/env python3"

_EPOCH = (1980, 1, 1, 0, 0, 0)

_MAIN = '''\
"""Run the %(name)s command line from this one-file copy (written by `%(name)s zipapp`)."""
import sys

from %(name)s.cli import main

sys.exit(main())
'''


def package_name() -> str:
    """The name the package is imported under (``minisweep``, or a vendored copy's own name)."""
    return __name__.rpartition(".")[0]


def package_entry() -> str:
    """The ``sys.path`` entry the package was imported from: a directory, or the zip file holding it."""
    top = package_name().split(".")[0]
    paths = list(getattr(sys.modules[top], "__path__", None) or [])
    if not paths:  # pragma: no cover - a package always has a path
        raise OSError("cannot find where %s was imported from" % top)
    return os.path.dirname(os.path.abspath(paths[0]))


def _containing_zip(path: str) -> Optional[Tuple[str, str]]:
    """(zip file, prefix inside it) when ``path`` lies inside a zip file, else None."""
    inner: List[str] = []
    head = path
    while head and not os.path.isdir(head):
        if os.path.isfile(head):
            return head, "/".join(reversed(inner))
        head, tail = os.path.split(head)
        if not tail:
            break
        inner.append(tail)
    return None


def package_files() -> List[Tuple[str, bytes]]:
    """(name relative to the package directory, contents) of each of the package's files, sorted by name.

    Read from the directory the package was imported from, or from the zip
    file (a zipapp made by :func:`write_zipapp` can write itself again).
    Compiled files and ``__pycache__`` are left out.
    """
    pkg = sys.modules[package_name()]
    root = os.path.abspath(list(pkg.__path__)[0])
    files = []
    zipped = _containing_zip(root)
    if zipped is None:
        for directory, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".")]
            for name in names:
                if _wanted(name):
                    path = os.path.join(directory, name)
                    with open(path, "rb") as fh:
                        files.append((os.path.relpath(path, root).replace(os.sep, "/"), fh.read()))
    else:
        import zipfile  # lazy: only building or reading a zipapp needs it, not every CLI start

        archive, prefix = zipped
        with zipfile.ZipFile(archive) as z:
            for info in z.infolist():
                name = info.filename
                if name.startswith(prefix + "/") and not name.endswith("/"):
                    rel = name[len(prefix) + 1:]
                    if "__pycache__/" not in "/" + rel and _wanted(rel.rpartition("/")[2]):
                        files.append((rel, z.read(info)))
    return sorted(files)


def _wanted(filename: str) -> bool:
    return not filename.startswith(".") and not filename.endswith((".pyc", ".pyo"))


def write_zipapp(target: Union[str, BinaryIO], python: str = DEFAULT_PYTHON) -> int:
    """Write the running package as a zipapp to ``target`` (a path or a binary file); returns the entry count.

    The package goes in under its own name (the last part of a vendored
    copy's dotted name), with a ``__main__.py`` that runs its command line.
    A path is written atomically (a temporary file renamed over it) and made
    executable.

    Args:
        target: the file to write.
        python: the interpreter for the ``#!`` line (``zipapp``'s ``-p``).

    Raises:
        OSError: the file cannot be written.
        ValueError: ``python`` is empty or spans lines.
    """
    if not python or "\n" in python or "\r" in python:
        raise ValueError("the interpreter for the #! line must be one non-empty line, got %r" % (python,))
    name = package_name().rpartition(".")[2]
    entries = [("__main__.py", (_MAIN % {"name": name}).encode("utf-8"))]
    entries += [(name + "/" + rel, data) for rel, data in package_files()]
    if not isinstance(target, str):
        _write(target, python, entries)
        return len(entries)
    import tempfile  # lazy: only building a zipapp needs it, not every CLI start

    directory = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(prefix=".zipapp-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            _write(fh, python, entries)
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return len(entries)


def _write(fh: BinaryIO, python: str, entries: List[Tuple[str, bytes]]) -> None:
    import zipfile  # lazy: only building or reading a zipapp needs it, not every CLI start

    fh.write(b"#!" + python.encode("utf-8") + b"\n")
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.create_system = 3  # Unix, so the permission bits below mean the same everywhere
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_STORED
            z.writestr(info, data)


def child_pythonpath(current: Optional[str]) -> Optional[str]:
    """The ``PYTHONPATH`` for a child process that must be able to ``import`` this package.

    When the package runs from a zip file (a zipapp), that file is appended,
    after anything already on ``current``: a child's own installed copy still
    wins, and a child of the one-file copy finds the package in it.  Otherwise
    ``current`` is returned unchanged.
    """
    entry = package_entry()
    if not os.path.isfile(entry):
        return current
    parts = current.split(os.pathsep) if current else []
    if entry in parts:
        return current
    return os.pathsep.join(parts + [entry])
