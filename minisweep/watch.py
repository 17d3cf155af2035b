"""Watching a sweep while it runs: ``minisweep status ID --watch``.

:class:`~.watchmodel.SweepWatch` keeps a digest of the sweep up to date from its store, reading only
what was appended since the last refresh, and writes it as text lines.  This module shows those lines
on a terminal, in one of two faces: a ``curses`` screen redrawn in place (``q`` quits; it follows a
resize of the terminal), and, where ``curses`` is missing or the output is not a terminal, a plain
table printed each time something changed (``q`` then Enter quits on a terminal).  Either ends by
itself once the sweep is over (finished, stopped or cancelled, with nothing left running), after
printing the final table.  Time is injected (``clock``, ``monotonic``, ``wait``), so tests drive a
watch without sleeping.
"""

import os
import shutil
import sys
import time
from typing import TYPE_CHECKING, Any, Callable, Optional, TextIO, Tuple

from .watchmodel import SPARK_ASCII, SPARK_UNICODE, Event, RunFacts, SweepWatch, sparkline

if TYPE_CHECKING:  # (for type checkers only)
    from .store import SweepStore

# SweepWatch, RunFacts, Event and sparkline live in .watchmodel; they are named here too, where they
# were first published.
__all__ = ["watch", "SweepWatch", "RunFacts", "Event", "sparkline"]


# ------------------------------------------------------------------------------------ the loops


def _spark_chars(stream: TextIO) -> str:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return SPARK_UNICODE if encoding == "utf8" else SPARK_ASCII


def watch(store: "SweepStore", *, interval: float = 1.0, out: Optional[TextIO] = None, mode: str = "auto",
          clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic,
          wait: Optional[Callable[[float], bool]] = None, size: Optional[Tuple[int, int]] = None) -> int:
    """Show ``store``'s sweep live until the sweep is over or the user quits; returns 0.

    Args:
        store: an open :class:`~.store.SweepStore` (only read).
        interval: seconds between refreshes.
        out: where to write (default ``sys.stdout``).
        mode: ``"curses"``, ``"plain"``, or ``"auto"``: curses when ``out``
            is a terminal and the ``curses`` module works, else plain.
        clock: wall clock shown in the view.
        monotonic: times the refreshes (curses mode).
        wait: plain mode: ``wait(seconds) -> quit?`` between refreshes
            (default: sleep, or wait for ``q`` on a terminal).  Tests pass
            one that changes the sweep and returns at once.
        size: plain mode: (columns, lines) instead of the terminal's size.
    """
    out = sys.stdout if out is None else out
    if interval <= 0:
        raise ValueError("interval must be positive, got %r" % (interval,))
    model = SweepWatch(store, clock=clock)
    if mode == "auto":
        mode = "curses" if _isatty(out) and _curses_usable() else "plain"
    if mode == "curses":
        return _run_curses(model, interval, out, monotonic)
    return _run_plain(model, interval, out, wait, size)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _curses_usable() -> bool:
    try:
        import curses  # noqa: F401  # lazy: optional stdlib module (not on Windows)
    except ImportError:  # Windows without the windows-curses package
        return False
    return bool(os.environ.get("TERM")) and os.environ.get("TERM") != "dumb"


def _run_plain(model: SweepWatch, interval: float, out: TextIO, wait: Optional[Callable[[float], bool]],
               size: Optional[Tuple[int, int]]) -> int:
    """A table printed whenever something changed (on a terminal: the screen cleared first)."""
    tty = _isatty(out)
    spark = _spark_chars(out)
    footer = "q quits" if tty else ""
    keys = _Keys(sys.stdin) if tty and wait is None else None
    try:
        while True:
            changed = model.refresh()
            if changed or model.over:
                cols, lines = size or tuple(shutil.get_terminal_size((100, 40)))
                if not tty:
                    lines = 10 ** 6  # a log or a pipe: every line
                text = model.text(cols - 1, lines - 1 if tty else lines, spark, footer)
                if tty:
                    out.write("\x1b[H\x1b[2J")
                elif model.refreshes > 1:
                    out.write("\n")
                out.write(text)
                out.flush()
            if model.over:
                return 0
            if wait is not None:
                if wait(interval):
                    return 0
            elif keys is not None:
                if keys.wait_for_q(interval):
                    return 0
            else:
                time.sleep(interval)
    except KeyboardInterrupt:
        return 0
    finally:
        if keys is not None:
            keys.close()


class _Keys:
    """Single keys from a terminal without waiting for Enter (POSIX); elsewhere only Ctrl-C quits."""

    def __init__(self, stream: TextIO) -> None:
        self.fd = None  # type: Optional[int]
        self.saved = None  # type: Any
        try:
            import termios  # lazy: optional stdlib module (not on Windows)
            import tty  # lazy: optional stdlib module (not on Windows)

            fd = stream.fileno()
            if os.isatty(fd):
                self.saved = termios.tcgetattr(fd)
                tty.setcbreak(fd)
                self.fd = fd
        except (ImportError, OSError, ValueError, AttributeError):
            self.fd = None

    def wait_for_q(self, seconds: float) -> bool:
        if self.fd is None:
            time.sleep(seconds)
            return False
        import select  # lazy: only the key reader on a terminal needs it

        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                data = os.read(self.fd, 64)
                if not data or b"q" in data.lower():
                    return True

    def close(self) -> None:
        if self.fd is not None:
            import termios  # lazy: optional stdlib module (not on Windows)

            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
            self.fd = None


def _run_curses(model: SweepWatch, interval: float, out: TextIO, monotonic: Callable[[], float]) -> int:
    """The screen redrawn in place; ``q`` quits; a resize redraws at the new size."""
    import curses  # lazy: optional stdlib module (not on Windows)
    import locale  # lazy: only the curses screen needs it

    try:
        locale.setlocale(locale.LC_ALL, "")  # so curses can draw the sparkline's block characters
    except locale.Error:
        pass
    spark = SPARK_UNICODE if (locale.getpreferredencoding(False) or "").lower().replace("-", "") == "utf8" \
        else SPARK_ASCII
    finished = []

    def loop(screen: Any) -> None:
        styles = {"title": curses.A_BOLD | curses.A_REVERSE, "heading": curses.A_BOLD, "best": curses.A_BOLD,
                  "event": curses.A_BOLD, "bad": curses.A_BOLD, "dim": curses.A_DIM, "": curses.A_NORMAL}
        try:
            curses.curs_set(0)
        except curses.error:
            pass
        if curses.has_colors():
            try:
                curses.use_default_colors()
                curses.init_pair(1, curses.COLOR_RED, -1)
                curses.init_pair(2, curses.COLOR_GREEN, -1)
                styles["event"] |= curses.color_pair(1)
                styles["bad"] |= curses.color_pair(1)
                styles["best"] |= curses.color_pair(2)
            except curses.error:
                pass
        footer = "q quits   refresh every %gs" % interval
        model.refresh()
        next_refresh = monotonic() + interval
        while True:
            rows, cols = screen.getmaxyx()
            screen.erase()
            lines = model.lines(cols - 1, rows, spark=spark, footer=footer)
            for y, (text, style) in enumerate(lines):
                if y == len(lines) - 1:
                    y = rows - 1  # the footer on the bottom line
                try:
                    screen.addnstr(y, 0, text, cols - 1, styles.get(style, 0))
                except curses.error:
                    pass  # the terminal shrank under us: the next pass draws at the new size
            screen.refresh()
            if model.over:
                finished.append(True)
                return
            screen.timeout(max(1, int((next_refresh - monotonic()) * 1000)))
            key = screen.getch()
            if key in (ord("q"), ord("Q")):
                return
            if key == curses.KEY_RESIZE:
                if hasattr(curses, "update_lines_cols"):
                    curses.update_lines_cols()
                continue  # redraw now, at the new size, without reading the store
            if monotonic() >= next_refresh:
                model.refresh()
                next_refresh = monotonic() + interval

    try:
        curses.wrapper(loop)
    except KeyboardInterrupt:
        return 0
    except curses.error:  # no usable terminal description after all: fall back to the plain table
        return _run_plain(model, interval, out, None, None)
    if finished:  # leave the final state in the terminal's scrollback
        cols, _ = shutil.get_terminal_size((100, 40))
        out.write(model.text(cols - 1, 10 ** 6, _spark_chars(out)))
        out.flush()
    return 0
