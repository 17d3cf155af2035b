"""A small VT100 screen for tests: feed it what a program wrote to a pseudo-terminal, read the screen.

It understands what ncurses sends for ``TERM=vt100`` (cursor addressing and motion, erasing,
scroll regions, index / reverse index, save / restore, tabs, attributes and charsets, which it
ignores) and a few xterm extras (column / row addressing, inserting and deleting characters
and lines).  Enough to assert on what a person would see, not a full terminal.
"""

import codecs
import re

_CSI = re.compile(r"\x1b\[([?>=]?)([0-9;]*)([ -/]*)([@-~])")


class Screen:
    def __init__(self, rows, cols):
        self.rows, self.cols = rows, cols
        self.grid = [[" "] * cols for _ in range(rows)]
        self.x = self.y = 0
        self.top, self.bottom = 0, rows - 1
        self.saved = (0, 0)
        self.pending_wrap = False
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.buffer = ""

    def resize(self, rows, cols):
        """As a terminal window resized: content kept where it fits."""
        grid = [[" "] * cols for _ in range(rows)]
        for y in range(min(rows, self.rows)):
            for x in range(min(cols, self.cols)):
                grid[y][x] = self.grid[y][x]
        self.grid, self.rows, self.cols = grid, rows, cols
        self.top, self.bottom = 0, rows - 1
        self.x, self.y = min(self.x, cols - 1), min(self.y, rows - 1)

    def lines(self):
        return ["".join(row).rstrip() for row in self.grid]

    def text(self):
        return "\n".join(self.lines())

    # ------------------------------------------------------------------------------------ input

    def feed(self, data):
        self.buffer += self.decoder.decode(data)
        text = self.buffer
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "\x1b":
                if i + 1 >= len(text):
                    break  # incomplete: wait for more
                nxt = text[i + 1]
                if nxt == "[":
                    m = _CSI.match(text, i)
                    if not m:
                        if re.match(r"\x1b\[[?>=]?[0-9;]*[ -/]*$", text[i:]):
                            break  # incomplete
                        i += 2
                        continue
                    self._csi(m.group(1), m.group(2), m.group(4))
                    i = m.end()
                    continue
                if nxt in "()*+":
                    if i + 2 >= len(text):
                        break
                    i += 3
                    continue
                if nxt == "7":
                    self.saved = (self.x, self.y)
                elif nxt == "8":
                    self.x, self.y = self.saved
                elif nxt == "M":
                    self._reverse_index()
                elif nxt == "D":
                    self._index()
                elif nxt == "E":
                    self.x = 0
                    self._index()
                elif nxt == "c":
                    self.__init__(self.rows, self.cols)
                i += 2
                continue
            if ch == "\r":
                self.x, self.pending_wrap = 0, False
            elif ch in "\n\x0b\x0c":
                self._index()
            elif ch == "\b":
                self.x, self.pending_wrap = max(0, self.x - 1), False
            elif ch == "\t":
                self.x = min(self.cols - 1, (self.x // 8 + 1) * 8)
            elif ch < " " or ch == "\x7f":
                pass  # NUL padding, bell, shift in/out
            else:
                self._put(ch)
            i += 1
        self.buffer = text[i:]

    def _put(self, ch):
        if self.pending_wrap:
            self.x, self.pending_wrap = 0, False
            self._index()
        self.grid[self.y][self.x] = ch
        if self.x == self.cols - 1:
            self.pending_wrap = True
        else:
            self.x += 1

    def _index(self):
        self.pending_wrap = False
        if self.y == self.bottom:
            self._scroll_up(self.top, self.bottom, 1)
        elif self.y < self.rows - 1:
            self.y += 1

    def _reverse_index(self):
        if self.y == self.top:
            self._scroll_down(self.top, self.bottom, 1)
        elif self.y > 0:
            self.y -= 1

    def _scroll_up(self, top, bottom, n):
        for _ in range(n):
            del self.grid[top]
            self.grid.insert(bottom, [" "] * self.cols)

    def _scroll_down(self, top, bottom, n):
        for _ in range(n):
            del self.grid[bottom]
            self.grid.insert(top, [" "] * self.cols)

    def _csi(self, private, params, final):
        args = [int(p) if p else 0 for p in params.split(";")] if params else []

        def arg(k, default=1):
            return args[k] if len(args) > k and args[k] else default

        self.pending_wrap = False
        if private:
            return  # modes (?7h, ?1049h, ...): nothing to show
        if final == "A":
            self.y = max(0, self.y - arg(0))
        elif final == "B":
            self.y = min(self.rows - 1, self.y + arg(0))
        elif final == "C":
            self.x = min(self.cols - 1, self.x + arg(0))
        elif final == "D":
            self.x = max(0, self.x - arg(0))
        elif final in "Hf":
            self.y = min(self.rows - 1, arg(0) - 1)
            self.x = min(self.cols - 1, arg(1) - 1)
        elif final == "G" or final == "`":
            self.x = min(self.cols - 1, arg(0) - 1)
        elif final == "d":
            self.y = min(self.rows - 1, arg(0) - 1)
        elif final == "J":
            mode = arg(0, 0)
            if mode == 0:
                self.grid[self.y][self.x:] = [" "] * (self.cols - self.x)
                for y in range(self.y + 1, self.rows):
                    self.grid[y] = [" "] * self.cols
            elif mode == 1:
                for y in range(self.y):
                    self.grid[y] = [" "] * self.cols
                self.grid[self.y][:self.x + 1] = [" "] * (self.x + 1)
            else:
                self.grid = [[" "] * self.cols for _ in range(self.rows)]
        elif final == "K":
            mode = arg(0, 0)
            row = self.grid[self.y]
            if mode == 0:
                row[self.x:] = [" "] * (self.cols - self.x)
            elif mode == 1:
                row[:self.x + 1] = [" "] * (self.x + 1)
            else:
                self.grid[self.y] = [" "] * self.cols
        elif final == "X":
            n = min(arg(0), self.cols - self.x)
            self.grid[self.y][self.x:self.x + n] = [" "] * n
        elif final == "P":
            row = self.grid[self.y]
            n = min(arg(0), self.cols - self.x)
            del row[self.x:self.x + n]
            row.extend([" "] * n)
        elif final == "@":
            row = self.grid[self.y]
            n = min(arg(0), self.cols - self.x)
            for _ in range(n):
                row.insert(self.x, " ")
            del row[self.cols:]
        elif final == "L":
            if self.top <= self.y <= self.bottom:
                self._scroll_down(self.y, self.bottom, arg(0))
        elif final == "M":
            if self.top <= self.y <= self.bottom:
                self._scroll_up(self.y, self.bottom, arg(0))
        elif final == "S":
            self._scroll_up(self.top, self.bottom, arg(0))
        elif final == "T":
            self._scroll_down(self.top, self.bottom, arg(0))
        elif final == "r":
            self.top = arg(0) - 1
            self.bottom = min(self.rows - 1, arg(1, self.rows) - 1)
            self.x = self.y = 0
        elif final == "b" and self.x > 0:  # repeat the previous character
            ch = self.grid[self.y][self.x - 1]
            for _ in range(arg(0)):
                self._put(ch)
        # m (attributes), n (reports), h/l (modes), g (tabs): nothing to draw
