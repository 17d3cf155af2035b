"""How the store touches a folder that many users, processes and hosts share.

A sweep folder is written by every agent that works on the sweep, possibly
under different user accounts, and anybody with access can drop things into
it: a directory named like a journal, a FIFO, a socket, a symbolic link.  The
store therefore follows three rules, and this module is where they live:

1. **Only regular files are read, and reading never blocks.**  A file is
   opened with ``O_NONBLOCK`` (opening a FIFO would otherwise wait for a
   writer for ever) and ``O_NOFOLLOW`` (a symbolic link is not followed), and
   is read only if ``fstat`` says it is a regular file.  Anything else raises
   :class:`NotAFile`, an ``OSError`` that callers skip or report.
2. **Nothing is written through a symbolic link.**  Files are created with
   ``O_EXCL`` (which never follows a link) and opened for writing with
   ``O_NOFOLLOW``; a folder the store writes into (``journal/``, ``claims/``,
   ``stop/``, ``files/``) is checked with ``lstat`` first (:func:`check_dir`),
   so a symlinked one is refused rather than written through.
3. **What the store creates is shared as its folder is, whatever the umask.**
   A new file or directory takes its permission bits from the directory it is
   made in: the owner may always read and write (and enter, for a
   directory); the group gets the folder's group bits; others get the
   folder's read (and search) bits but never write.  Files never get execute
   bits.  A folder's set-group-id bit is kept on new directories, so a team
   folder made with ``chmod 2775`` (group-owned by the team) stays usable by
   every member even when one of them runs with ``umask 077``; a private
   ``0700`` folder stays private.  The bits are set explicitly (``fchmod``),
   since the umask would otherwise remove them.
4. **A whole file appears at once, or not at all.**  A document is replaced
   by writing a temporary file next to it and renaming it over the old one
   (:func:`write_atomic`), syncing the file and then its folder when it must
   survive a power cut; a write loop never takes a short write for success
   (:func:`write_all`).  Leftover ``.*.tmp`` files are never read.

Every low-level file operation of the store and its lock lives here, so there
is one copy of each: :func:`write_all`, :func:`fsync` (and
:func:`fsync_dir`), :func:`write_atomic`, :func:`read_file`,
:func:`unlink_quietly`.  A failure the caller should report becomes a
:class:`~.errors.StoreError` naming the path and the ``errno``
(:func:`store_error`).

>>> import os, stat, tempfile
>>> tmp = tempfile.TemporaryDirectory(); os.chmod(tmp.name, 0o2770)
>>> old = os.umask(0o077)
>>> fd = create_file(os.path.join(tmp.name, "a.json")); os.close(fd)
>>> sub = make_dir(os.path.join(tmp.name, "sub"))
>>> os.umask(old) == 0o077
True
>>> oct(stat.S_IMODE(os.stat(os.path.join(tmp.name, "a.json")).st_mode))
'0o660'
>>> oct(stat.S_IMODE(os.stat(sub).st_mode) & 0o777)
'0o770'
>>> os.mkfifo(os.path.join(tmp.name, "fifo"))
>>> try:
...     read_file(os.path.join(tmp.name, "fifo"))   # returns at once: never waits for a writer
... except NotAFile as exc:
...     print(exc.strerror)
not a regular file (a FIFO)
>>> tmp.cleanup()
"""

import errno
import os
import shutil
import stat

from .errors import StoreError
from .ids import new_id

__all__ = ["NotAFile", "read_file", "open_file", "create_file", "make_dir", "make_dirs", "check_dir", "mode_for",
           "O_NOFOLLOW", "write_all", "fsync", "fsync_dir", "write_atomic", "unlink_quietly", "remove_tree_quietly",
           "store_error"]

#: ``os.O_NOFOLLOW`` where the platform has it (not on Windows, which has no such links to fear here).
O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISLNK, "a symbolic link"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"))


class NotAFile(OSError):
    """Not a regular file (a directory, FIFO, socket, device or symbolic link): never read or written.

    Attributes:
        kind: what it is instead, in words ("a directory", "a FIFO", "a symbolic link", ...).
    """

    kind = "not a regular file"


def _not_a_file(path: str, kind: str, code: int = errno.EINVAL, why: str = "not a regular file") -> NotAFile:
    exc = NotAFile(code, "%s (%s)" % (why, kind), path)
    exc.kind = kind
    return exc


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def open_file(path: str, flags: int = os.O_RDONLY) -> int:
    """A descriptor for the regular file ``path``, opened without following a link.

    ``O_NONBLOCK`` makes opening a FIFO return at once (it has no effect on
    reading or writing a regular file).

    Raises:
        FileNotFoundError: no such file.
        NotAFile: ``path`` is a symbolic link, directory, FIFO, socket or device.
        OSError: any other failure (``EACCES``, ...).
    """
    try:
        fd = os.open(path, flags | _O_NONBLOCK | O_NOFOLLOW | _O_BINARY)
    except OSError as exc:
        # ELOOP: a symbolic link (O_NOFOLLOW); ENXIO: a socket; EISDIR: a directory opened for writing
        if exc.errno in (errno.ELOOP, errno.ENXIO, errno.EISDIR, errno.EOPNOTSUPP):
            try:
                kind = _kind(os.lstat(path).st_mode)
            except OSError:
                kind = "not a regular file"
            raise _not_a_file(path, kind) from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _not_a_file(path, _kind(mode))
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_file(path: str) -> bytes:
    """The bytes of the regular file ``path`` (see :func:`open_file` for what is refused)."""
    fd = open_file(path)
    try:
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(fd)


def mode_for(directory: str, is_dir: bool = False) -> int:
    """The permission bits for a new file (or directory) in ``directory``: see rule 3 above."""
    parent = os.stat(directory).st_mode
    if is_dir:
        return 0o700 | (parent & 0o070) | (parent & 0o005) | (parent & stat.S_ISGID)
    return 0o600 | (parent & 0o060) | (parent & 0o004)


def create_file(path: str, flags: int = os.O_WRONLY) -> int:
    """Create the new file ``path`` (``O_EXCL``: never an existing name, never through a link); its descriptor.

    Its permission bits follow its directory's (rule 3), whatever the umask.
    """
    mode = mode_for(os.path.dirname(path) or ".")
    fd = os.open(path, flags | os.O_CREAT | os.O_EXCL | _O_BINARY, mode)
    try:
        _fchmod(fd, path, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def make_dir(path: str) -> str:
    """Create the directory ``path`` with its parent's sharing (rule 3); returns ``path``.

    Raises:
        FileExistsError: ``path`` exists.
    """
    mode = mode_for(os.path.dirname(path) or ".", is_dir=True)
    os.mkdir(path, mode)
    try:
        os.chmod(path, mode)
    except OSError:  # not our directory after all (a race), or a file system without modes
        pass
    return path


def make_dirs(base: str, *names: str) -> str:
    """``base/names[0]/names[1]/...``, each level made if missing (rule 3), none a symbolic link (rule 2).

    ``base`` itself (a sweep's folder) is taken as it is.

    Raises:
        StoreError: a level is a symbolic link or not a directory, or cannot be made.
    """
    path = base
    for name in names:
        path = os.path.join(path, name)
        try:
            try:
                check_dir(path)
            except FileNotFoundError:
                try:
                    make_dir(path)
                except FileExistsError:  # made meanwhile by another agent: check what it is
                    check_dir(path)
        except OSError as exc:
            raise store_error("cannot write to", path, exc) from exc
    return path


def check_dir(path: str) -> str:
    """``path`` if it is a real directory (not a symbolic link to one); returns it.

    Raises:
        FileNotFoundError: it does not exist.
        NotAFile: it is a symbolic link, or not a directory.
    """
    mode = os.lstat(path).st_mode
    if stat.S_ISLNK(mode):
        raise _not_a_file(path, "a symbolic link", errno.ELOOP, "refusing to write through it")
    if not stat.S_ISDIR(mode):
        raise _not_a_file(path, _kind(mode), errno.ENOTDIR, "not a directory")
    return path


def _fchmod(fd: int, path: str, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # pragma: no cover - Windows: modes are not shared that way
        try:
            os.chmod(path, mode)
        except OSError:
            pass


def store_error(action: str, path: str, exc: OSError) -> StoreError:
    """The :class:`~.errors.StoreError` to raise for ``exc``: ``"<action> <path>: <why>"``, with its ``errno``."""
    return StoreError("%s %s: %s" % (action, path, exc.strerror or exc), path=path, errno=exc.errno)


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd``, however short each ``os.write`` is.

    Raises:
        OSError: a write failed, or wrote nothing (``EIO``) instead of looping for ever.
    """
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:
            raise OSError(errno.EIO, "write returned %d" % n)
        view = view[n:]


def fsync(fd: int) -> None:
    """``os.fsync``.  Callers look it up here when they call it (``sharedfs.fsync(fd)``), so a test
    (or ``benchmarks/stress.py --fsync-delay``) replaces it in one place to simulate a failing or slow disk."""
    os.fsync(fd)


def fsync_dir(path: str) -> None:
    """Sync a directory, so the names made or renamed in it survive a power cut (where the system allows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # Windows cannot open directories; its renames are durable enough
        return
    try:
        fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.EACCES):  # some filesystems refuse
            raise
    finally:
        os.close(fd)


def write_atomic(path: str, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` by ``data`` all at once (rule 4): a temporary file, (fsync,) rename (, fsync the folder).

    Raises:
        StoreError: it could not be written; ``path`` is then unchanged and no temporary file is left.
    """
    head, tail = os.path.split(path)
    tmp = os.path.join(head, ".%s.%s.tmp" % (tail, new_id(12)))
    try:
        fd = create_file(tmp)
        try:
            write_all(fd, data)
            if durable:
                fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        if durable:
            fsync_dir(head)
    except OSError as exc:
        unlink_quietly(tmp)
        raise store_error("cannot write", path, exc) from exc


def unlink_quietly(path: str) -> None:
    """Remove the file ``path`` if it can be removed; never raises."""
    try:
        os.unlink(path)
    except OSError:
        pass


def remove_tree_quietly(path: str) -> None:
    """Remove the folder ``path`` and what is in it, as far as possible; never raises."""
    shutil.rmtree(path, ignore_errors=True)
