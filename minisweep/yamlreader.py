"""A small, safe reader for the YAML that W&B sweep configs are written in.

People keep sweep configs in YAML files written for PyYAML, so minisweep has
to read them exactly as ``yaml.safe_load`` from PyYAML 6 does -- without
depending on PyYAML.  This module reads the part of YAML that sweep files
use and refuses, with an error naming the line, everything else:

* block mappings and sequences (``key: value``, ``- item``, also a list
  written level with its key), flow collections ``[a, b]`` and ``{k: v}``
  (nested, spanning lines, with comments and trailing commas);
* plain, ``'single'`` and ``"double"``-quoted scalars (with every YAML
  escape), ``|`` and ``>`` block scalars with their indicators, comments;
* anchors ``&a``, aliases ``*a`` and merge keys ``<<``;
* ``---``, ``...`` and ``%YAML``; the standard tags ``!!str``, ``!!int``,
  ``!!float``, ``!!bool``, ``!!null``, ``!!seq``, ``!!map``, ``!!timestamp``.

Refused on purpose, though PyYAML accepts them: other tags
(``!!python/object``, ``!custom``, ``!!set``, ``!!binary``), ``%TAG``,
explicit ``? key`` entries, aliases inside the collection they name
(recursive values), aliases that repeat more than 100,000 values (alias
bombs), nesting deeper than 100 levels, integers longer than
4300 characters, the line separators U+2028/U+2029 and a byte-order mark
anywhere but at the start.

The pitfall is how plain (unquoted) scalars become values.  PyYAML follows
YAML 1.1, not 1.2, and this reader does the same, because the number in a
config must not change meaning when the file moves between tools:

* ``yes``, ``no``, ``on``, ``off`` (and ``true``/``false``) are booleans, in
  three spellings each (``yes``, ``Yes``, ``YES``) -- but ``y`` and ``n``
  are strings;
* a float needs a dot: ``1e-4`` is the *string* ``'1e-4'``, while
  ``1.0e-4`` and even ``1.e-4`` are floats; the exponent needs a sign
  (``1.0e4`` is a string); ``.5`` is a float but ``-.5`` is a string;
* ``017`` is octal (15), ``0x1f`` hex, ``0b101`` binary, ``1_000`` is 1000,
  ``1:30`` is base 60 (90) and ``1:30.5`` is 90.5, while ``0o17`` is text;
* ``2001-12-14`` is a ``datetime.date``; ``~``, ``null`` and nothing at all
  are ``None``; a plain ``=`` is an error unless it is a mapping key.

>>> load("lr: 1e-4\\nmin: 1.0e-4\\nearly: yes\\nmonths: 017\\n")
{'lr': '1e-4', 'min': 0.0001, 'early': True, 'months': 15}
>>> load("command:\\n- python\\n- ${program}  # a comment\\n")
{'command': ['python', '${program}']}
>>> load("base: &b {lr: 0.1, bs: 32}\\nrun:\\n  <<: *b\\n  bs: 64\\n")["run"]
{'lr': 0.1, 'bs': 64}

How it works.  A scanner turns the text into tokens, and a recursive-descent
parser turns the tokens into Python values.  The scanner is where YAML's
indentation lives: like PyYAML's, it notes where each line's first token
*could* be a mapping key, and only when it meets the ``:`` that follows
does it insert a KEY token there (and, if the key is indented further than
the current block, a "mapping starts" token); a drop in indentation emits
"block ends" tokens.  Mirroring that design is what makes the odd corners
(a tab after ``key:``, a key with no ``:``, a continuation line) fail or
succeed exactly where PyYAML's do.

Why one module of some 1400 lines: a YAML reader is one concept.  The
scanner, the parser and the scalar rules share one piece of state -- where
in the text each token came from -- that every error message and every
recorded position needs, and none of them means anything alone.  Split into
files, each error path would cross a module boundary to name its line.

Errors are :class:`~minisweep.errors.ConfigError` with a 1-based line and
column.  Given a ``positions`` dict, :func:`load` also records where every
mapping key and sequence item starts, keyed by its path from the root:

>>> where = {}
>>> load("parameters:\\n  lr:\\n    min: 0.1\\n", positions=where)[
...     "parameters"]["lr"]
{'min': 0.1}
>>> where[("parameters", "lr", "min")]
(3, 5)
"""

import datetime
import re
from typing import Any, Dict, List, Optional, Tuple

from .errors import ConfigError

__all__ = ["load"]

MAX_DEPTH = 100
"""Deepest nesting of collections accepted (real configs use fewer than ten)."""

MAX_EXPANDED = 100_000
"""Most values aliases may add to a document, each alias counted as a copy of
what it names: a limit on "billion laughs" alias bombs, which would read in
no time as shared objects but blow up whatever walks or saves the config."""

_POSITIONS_BUDGET = 200_000  # stop recording positions past this many entries

# --------------------------------------------------------------------------
# Text clean-up
# --------------------------------------------------------------------------

# Characters YAML forbids anywhere in a file (control characters, lone
# surrogates, U+FFFE/FFFF), plus three we refuse: the Unicode line and
# paragraph separators, which YAML 1.1 treats as line breaks with their own
# folding rules, and a byte-order mark anywhere but at the very start.
_FORBIDDEN = re.compile(
    "[^\t\n\r\x20-\x7e\x85\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
    "\U00010000-\U0010ffff]")

# --------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------

_END = "end"            # end of the text
_DOC_START = "---"
_DOC_END = "..."
_DIRECTIVE = "%"
_BLOCK_SEQ = "bseq"     # an indented block sequence begins
_BLOCK_MAP = "bmap"     # an indented block mapping begins
_BLOCK_END = "bend"     # the indentation dropped: the innermost block ends
_ENTRY = "-"            # '- ' in a block sequence
_KEY = "key"            # a mapping key follows
_VALUE = ":"
_ALIAS = "*"
_ANCHOR = "&"
_TAG = "!"
_SCALAR = "scalar"

_DESCRIBE = {
    _END: "the end of the text",
    _DOC_START: "'---'",
    _DOC_END: "'...'",
    _DIRECTIVE: "a '%' directive",
    _BLOCK_SEQ: "an indented '- ' list",
    _BLOCK_MAP: "an indented 'key: value' mapping",
    _BLOCK_END: "a line indented less than the block it belongs to",
    _ENTRY: "a '- ' list item",
    _KEY: "a mapping key",
    _VALUE: "':'",
    _ALIAS: "an alias",
    _ANCHOR: "an anchor",
    _TAG: "a tag",
    "[": "'['", "]": "']'", "{": "'{'", "}": "'}'", ",": "','",
}

_BLANK_OR_END = " \t\n\0"  # after '-', '?' or ':' these make an indicator
_NAME = re.compile(r"[0-9A-Za-z_-]+")                   # anchor, handle
_URI = re.compile(r"[0-9A-Za-z\-;/?:@&=+$,_.!~*'()\[\]]+")  # tag text
_PLAIN_BLOCK = re.compile(r"(?:[^ \t\n\0:]|:(?![ \t\n\0]))+")
_PLAIN_FLOW = re.compile(r"(?:[^ \t\n\0:,?\[\]{}]|:(?![ \t\n\0,\[\]{}]))+")
_QUOTED_RUN = re.compile(r"[^'\"\\\0 \t\n]+")
_HEX = frozenset("0123456789abcdefABCDEF")

_ESCAPES = {
    "0": "\0", "a": "\x07", "b": "\x08", "t": "\t", "\t": "\t", "n": "\n",
    "v": "\x0b", "f": "\x0c", "r": "\r", "e": "\x1b", " ": " ", '"': '"',
    "\\": "\\", "/": "/", "N": "\x85", "_": "\xa0", "L": "\u2028",
    "P": "\u2029",
}
_ESCAPE_HEX_DIGITS = {"x": 2, "u": 4, "U": 8}


class _Token:
    """One token: its kind, where it starts (0-based) and what it carries."""

    __slots__ = ("kind", "line", "column", "value", "plain")

    def __init__(self, kind: str, line: int, column: int, value: Any = None, plain: bool = False) -> None:
        self.kind = kind
        self.line = line
        self.column = column
        self.value = value
        self.plain = plain

    def describe(self) -> str:
        if self.kind == _SCALAR:
            text = self.value if len(self.value) <= 30 else self.value[:27] + "..."
            return "the value %r" % text
        return _DESCRIBE[self.kind]


class _SimpleKey:
    """A token that will become a mapping key if a ':' follows on its line."""

    __slots__ = ("index", "required", "pos", "line", "column")

    def __init__(self, index: int, required: bool, pos: int, line: int, column: int) -> None:
        self.index = index        # where the KEY token goes in the token list
        self.required = required  # a block key at the current indentation
        self.pos = pos
        self.line = line
        self.column = column


# --------------------------------------------------------------------------
# Scanner
# --------------------------------------------------------------------------

class _Scanner:
    """Turns the text into the list of tokens, ending with an END token.

    State, as in PyYAML: ``indent`` is the column of the innermost block
    collection (-1 at the top); ``flow_level`` counts open ``[``/``{``;
    ``allow_key`` says whether the next token may start a simple key (true
    at the start of a line and after an indicator); ``keys`` holds, per flow
    level, the candidate simple key waiting for its ':'.
    """

    def __init__(self, text: str, source: Optional[str]) -> None:
        self.text = text + "\0"
        self.source = source
        self.pos = 0
        self.line = 0
        self.line_start = 0
        self.flow_level = 0
        self.flow_starts: List[Tuple[str, int, int]] = []
        self.indent = -1
        self.indents: List[int] = []
        self.allow_key = True
        self.keys: Dict[int, _SimpleKey] = {}
        self.tokens: List[_Token] = []

    # -- helpers -----------------------------------------------------------

    @property
    def column(self) -> int:
        return self.pos - self.line_start

    def error(self, message: str, line: Optional[int] = None, column: Optional[int] = None) -> ConfigError:
        if line is None:
            line, column = self.line, self.column
        return ConfigError(message, line=line + 1, column=(column or 0) + 1, source=self.source)

    def newline(self) -> None:
        """Step over the line break at ``pos``."""
        self.pos += 1
        self.line += 1
        self.line_start = self.pos

    def add_token(self, kind: str, value: Any = None, plain: bool = False) -> _Token:
        token = _Token(kind, self.line, self.column, value, plain)
        self.tokens.append(token)
        return token

    def at_document_marker(self) -> bool:
        text, pos = self.text, self.pos
        return (self.column == 0 and text[pos:pos + 3] in ("---", "...")
                and text[pos + 3] in _BLANK_OR_END)

    # -- indentation and simple keys ----------------------------------------

    def push_indent(self, column: int) -> bool:
        if self.indent < column:
            self.indents.append(self.indent)
            self.indent = column
            return True
        return False

    def unwind_indent(self, column: int) -> None:
        if self.flow_level:
            return
        while self.indent > column:
            self.indent = self.indents.pop()
            self.add_token(_BLOCK_END)

    def save_key(self) -> None:
        if self.allow_key:
            self.drop_key()
            required = not self.flow_level and self.indent == self.column
            self.keys[self.flow_level] = _SimpleKey(
                len(self.tokens), required, self.pos, self.line, self.column)

    def drop_key(self) -> None:
        key = self.keys.pop(self.flow_level, None)
        if key is not None and key.required:
            raise self.missing_colon(key)

    def drop_stale_keys(self) -> None:
        # A simple key must sit on one line and be at most 1024 characters.
        for level, key in list(self.keys.items()):
            if key.line != self.line or self.pos - key.pos > 1024:
                if key.required:
                    raise self.missing_colon(key)
                del self.keys[level]

    def missing_colon(self, key: _SimpleKey) -> ConfigError:
        return self.error("expected 'key: value' here, but this entry has no ':' "
                          "(or it is longer than one line)", key.line, key.column)

    # -- main loop -----------------------------------------------------------

    def scan(self) -> List[_Token]:
        while True:
            self.skip_blanks_and_comments()
            self.drop_stale_keys()
            self.unwind_indent(self.column)
            ch = self.text[self.pos]
            if ch == "\0":
                self.finish()
                return self.tokens
            after = self.text[self.pos + 1]
            if ch == "%" and self.column == 0:
                self.start_of_line_marker(self.scan_directive)
            elif ch in "-." and self.at_document_marker():
                self.start_of_line_marker(self.scan_document_marker)
            elif ch in "[{":
                self.open_flow(ch)
            elif ch in "]}":
                self.close_flow(ch)
            elif ch == ",":
                self.allow_key = True
                self.drop_key()
                self.add_token(",")
                self.pos += 1
            elif ch == "-" and after in _BLANK_OR_END:
                self.block_entry()
            elif ch == "?" and (self.flow_level or after in _BLANK_OR_END):
                if after not in _BLANK_OR_END:
                    raise self.error("'?' inside [...] or {...} starts a complex key, which is not "
                                     "supported; quote the value that contains it")
                raise self.error("explicit mapping keys ('? key') are not supported; "
                                 "write 'key: value'")
            elif ch == ":" and (self.flow_level or after in _BLANK_OR_END):
                self.value_indicator()
            elif ch in "*&":
                self.save_key()
                self.allow_key = False
                self.scan_anchor(ch)
            elif ch == "!":
                self.save_key()
                self.allow_key = False
                self.scan_tag()
            elif ch in "|>" and not self.flow_level:
                self.allow_key = True
                self.drop_key()
                self.scan_block_scalar(ch)
            elif ch in "'\"":
                self.save_key()
                self.allow_key = False
                self.scan_quoted(ch)
            elif ch not in "\t-?:,[]{}#&*!|>'\"%@`" or (
                    after not in _BLANK_OR_END and (ch == "-" or (not self.flow_level and ch in "?:"))):
                self.save_key()
                self.allow_key = False
                self.scan_plain()
            else:
                raise self.bad_character(ch)

    def bad_character(self, ch: str) -> ConfigError:
        if ch == "\t":
            text, pos = self.text, self.pos
            if not text[self.line_start:pos].strip(" "):
                return self.error("tab character used for indentation; indent with spaces")
            rest = len(text) - len(text[pos:].lstrip(" \t"))
            if text[rest] in "\n\0#":
                return self.error("tab character after the value (at the end of the line or "
                                  "before a comment); remove it or use spaces")
            return self.error("tab character used as a separator; "
                              "only spaces may separate the parts of a line")
        if ch == "%":
            return self.error("'%' can only start a directive at the beginning of a line; quote the value")
        if ch in "@`":
            return self.error("a value cannot start with %r (reserved in YAML); quote it" % ch)
        return self.error("a value cannot start with %r here; quote it" % ch)

    def skip_blanks_and_comments(self) -> None:
        text = self.text
        while True:
            while text[self.pos] == " ":
                self.pos += 1
            if text[self.pos] == "#":
                self.skip_comment()
            if text[self.pos] != "\n":
                return
            self.newline()
            if not self.flow_level:
                self.allow_key = True

    def skip_comment(self) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = end if end >= 0 else len(self.text) - 1

    def finish(self) -> None:
        if self.flow_starts:
            kind, line, column = self.flow_starts[-1]
            raise self.error("unclosed flow %s: the %r started here is never closed"
                             % ("sequence" if kind == "[" else "mapping", kind), line, column)
        self.unwind_indent(-1)
        self.drop_key()
        self.allow_key = False
        self.add_token(_END)

    def start_of_line_marker(self, scan) -> None:
        self.unwind_indent(-1)
        self.drop_key()
        self.allow_key = False
        scan()

    # -- indicators ----------------------------------------------------------

    def open_flow(self, ch: str) -> None:
        if self.flow_level >= MAX_DEPTH:
            raise self.error("collections nested more than %d levels deep" % MAX_DEPTH)
        self.save_key()
        self.flow_level += 1
        self.flow_starts.append((ch, self.line, self.column))
        self.allow_key = True
        self.add_token(ch)
        self.pos += 1

    def close_flow(self, ch: str) -> None:
        if not self.flow_level:
            raise self.error("unexpected %r with no matching %r before it"
                             % (ch, "[" if ch == "]" else "{"))
        self.drop_key()
        self.flow_level -= 1
        self.flow_starts.pop()
        self.allow_key = False
        self.add_token(ch)
        self.pos += 1

    def block_entry(self) -> None:
        if not self.flow_level:
            if not self.allow_key:
                raise self.error("a '- ' list item cannot start here; put it on its own line")
            if self.push_indent(self.column):
                self.add_token(_BLOCK_SEQ)
        self.allow_key = True
        self.drop_key()
        self.add_token(_ENTRY)
        self.pos += 1

    def value_indicator(self) -> None:
        key = self.keys.pop(self.flow_level, None)
        if key is not None:
            # The candidate becomes a real key: insert KEY (and, when a new
            # block mapping starts there, BLOCK_MAP) before its tokens.
            self.tokens.insert(key.index, _Token(_KEY, key.line, key.column))
            if not self.flow_level and self.push_indent(key.column):
                self.tokens.insert(key.index, _Token(_BLOCK_MAP, key.line, key.column))
            self.allow_key = False
        else:
            if not self.flow_level:
                if not self.allow_key:
                    raise self.error("unexpected ':' -- a 'key: value' pair cannot start here "
                                     "(is the line mis-indented, or is a value missing its quotes?)")
                if self.push_indent(self.column):
                    self.add_token(_BLOCK_MAP)
            self.allow_key = not self.flow_level
        self.add_token(_VALUE)
        self.pos += 1

    # -- directives and document markers ------------------------------------

    def scan_document_marker(self) -> None:
        self.add_token(_DOC_START if self.text[self.pos] == "-" else _DOC_END)
        self.pos += 3

    def scan_directive(self) -> None:
        text = self.text
        token = self.add_token(_DIRECTIVE)
        self.pos += 1
        match = _NAME.match(text, self.pos)
        if not match or text[match.end()] not in " \n\0":
            raise self.error("expected a directive name such as 'YAML' after '%'")
        name = match.group()
        self.pos = match.end()
        if name == "YAML":
            while text[self.pos] == " ":
                self.pos += 1
            major = self.scan_version_number()
            if text[self.pos] != ".":
                raise self.error("expected a version like '1.1' after '%YAML'")
            self.pos += 1
            minor = self.scan_version_number()
            if text[self.pos] not in " \n\0":
                raise self.error("expected a version like '1.1' after '%YAML'")
            token.value = (major, minor)
        elif name == "TAG":
            raise self.error("'%TAG' directives are not supported", token.line, token.column)
        else:  # other directives are reserved and ignored
            end = text.find("\n", self.pos)
            self.pos = end if end >= 0 else len(text) - 1
        while text[self.pos] == " ":
            self.pos += 1
        if text[self.pos] == "#":
            self.skip_comment()
        if text[self.pos] not in "\n\0":
            raise self.error("unexpected text after the directive")
        if text[self.pos] == "\n":
            self.newline()

    def scan_version_number(self) -> int:
        start = self.pos
        while self.text[self.pos] in "0123456789":
            self.pos += 1
        if start == self.pos:
            raise self.error("expected a version like '1.1' after '%YAML'")
        return int(self.text[start:self.pos])

    # -- anchors, aliases and tags -------------------------------------------

    def scan_anchor(self, indicator: str) -> None:
        token = self.add_token(_ALIAS if indicator == "*" else _ANCHOR)
        what = "alias" if indicator == "*" else "anchor"
        match = _NAME.match(self.text, self.pos + 1)
        if not match:
            raise self.error("expected an %s name (letters, digits, '-' or '_') after %r"
                             % (what, indicator))
        self.pos = match.end()
        if self.text[self.pos] not in " \t\n\0?:,]}%@`":
            raise self.error("unexpected character %r in the %s name; use letters, digits, '-' or '_'"
                             % (self.text[self.pos], what))
        token.value = match.group()

    def scan_tag(self) -> None:
        text = self.text
        token = self.add_token(_TAG)
        start = self.pos
        after = text[self.pos + 1]
        if after == "<":                       # verbatim: !<tag:yaml.org,2002:str>
            self.pos += 2
            handle, suffix = None, self.scan_uri()
            if text[self.pos] != ">":
                raise self.error("expected '>' to close the verbatim tag")
            self.pos += 1
        elif after in _BLANK_OR_END:           # the non-specific tag '!'
            handle, suffix = None, "!"
            self.pos += 1
        else:                                  # !suffix, !!suffix or !handle!suffix
            end = self.pos + 1
            while text[end] not in " \n\0!":
                end += 1
            if text[end] == "!":
                match = _NAME.match(text, self.pos + 1)
                stop = match.end() if match else self.pos + 1
                if text[stop] != "!":
                    self.pos = stop
                    raise self.error("expected '!' to end the tag handle")
                handle = text[self.pos:stop + 1]
                self.pos = stop + 1
            else:
                handle = "!"
                self.pos += 1
            suffix = self.scan_uri()
        if text[self.pos] not in " \n\0":
            raise self.error("expected a space after the tag %r" % text[start:self.pos])
        token.value = (handle, suffix, text[start:self.pos])

    def scan_uri(self) -> str:
        """Read tag characters, decoding %XX escapes."""
        text = self.text
        chunks: List[str] = []
        while True:
            match = _URI.match(text, self.pos)
            if match:
                chunks.append(match.group())
                self.pos = match.end()
            elif text[self.pos] == "%":
                codes = bytearray()
                while text[self.pos] == "%":
                    digits = text[self.pos + 1:self.pos + 3]
                    if len(digits) < 2 or not set(digits) <= _HEX:
                        raise self.error("expected two hexadecimal digits after '%' in the tag")
                    codes.append(int(digits, 16))
                    self.pos += 3
                try:
                    chunks.append(codes.decode("utf-8"))
                except UnicodeDecodeError:
                    raise self.error("the %-escapes in the tag are not valid UTF-8") from None
            else:
                break
        if not chunks:
            raise self.error("expected the tag name after '!'")
        return "".join(chunks)

    # -- scalars -------------------------------------------------------------

    def scan_plain(self) -> None:
        """An unquoted scalar; it may continue on more-indented lines."""
        text = self.text
        token = self.add_token(_SCALAR, plain=True)
        run = _PLAIN_FLOW if self.flow_level else _PLAIN_BLOCK
        indent = self.indent + 1
        chunks: List[str] = []
        spaces = ""
        while text[self.pos] != "#":
            match = run.match(text, self.pos)
            if not match:
                break
            self.allow_key = False
            chunks.append(spaces)
            chunks.append(match.group())
            self.pos = match.end()
            spaces = self.plain_spaces()
            if not spaces or text[self.pos] == "#" or (
                    not self.flow_level and self.column < indent):
                break
        token.value = "".join(chunks)

    def plain_spaces(self) -> str:
        """Whitespace inside a plain scalar, folded: one break is a space,
        n + 1 breaks are n newlines.  '' means the scalar has ended."""
        text = self.text
        start = self.pos
        while text[self.pos] == " ":
            self.pos += 1
        if text[self.pos] != "\n":
            return text[start:self.pos]
        self.newline()
        self.allow_key = True
        if self.at_document_marker():
            return ""
        breaks = 0
        while text[self.pos] in " \n":
            if text[self.pos] == " ":
                self.pos += 1
            else:
                self.newline()
                breaks += 1
                if self.at_document_marker():
                    return ""
        return "\n" * breaks if breaks else " "

    def scan_quoted(self, quote: str) -> None:
        text = self.text
        token = self.add_token(_SCALAR)
        double = quote == '"'
        self.pos += 1
        chunks: List[str] = []
        self.quoted_text(chunks, double)
        while text[self.pos] != quote:
            self.quoted_spaces(chunks, token)
            self.quoted_text(chunks, double)
        self.pos += 1
        token.value = "".join(chunks)

    def quoted_text(self, chunks: List[str], double: bool) -> None:
        text = self.text
        while True:
            match = _QUOTED_RUN.match(text, self.pos)
            if match:
                chunks.append(match.group())
                self.pos = match.end()
            ch = text[self.pos]
            if not double and ch == "'" and text[self.pos + 1] == "'":
                chunks.append("'")                       # '' inside '...'
                self.pos += 2
            elif (double and ch == "'") or (not double and ch in '"\\'):
                chunks.append(ch)
                self.pos += 1
            elif double and ch == "\\":
                self.pos += 1
                self.escape(chunks)
            else:
                return

    def escape(self, chunks: List[str]) -> None:
        text = self.text
        ch = text[self.pos]
        if ch in _ESCAPES:
            chunks.append(_ESCAPES[ch])
            self.pos += 1
        elif ch in _ESCAPE_HEX_DIGITS:
            size = _ESCAPE_HEX_DIGITS[ch]
            digits = text[self.pos + 1:self.pos + 1 + size]
            if len(digits) < size or not set(digits) <= _HEX:
                raise self.error("escape '\\%s' needs %d hexadecimal digits" % (ch, size))
            code = int(digits, 16)
            if code > 0x10FFFF:
                raise self.error("escape '\\%s%s' is beyond the last Unicode character" % (ch, digits))
            chunks.append(chr(code))
            self.pos += 1 + size
        elif ch == "\n":                      # an escaped line break joins lines
            self.newline()
            chunks.extend(self.quoted_breaks())
        else:
            raise self.error("unknown escape sequence '\\%s' in a double-quoted string"
                             % ("end of text" if ch == "\0" else ch))

    def quoted_spaces(self, chunks: List[str], token: _Token) -> None:
        text = self.text
        start = self.pos
        while text[self.pos] in " \t":
            self.pos += 1
        ch = text[self.pos]
        if ch == "\0":
            raise self.error("unclosed quoted string: the quote opened here is never closed",
                             token.line, token.column)
        if ch == "\n":
            self.newline()
            breaks = self.quoted_breaks()
            chunks.extend(breaks if breaks else [" "])
        else:
            chunks.append(text[start:self.pos])

    def quoted_breaks(self) -> List[str]:
        text = self.text
        breaks: List[str] = []
        while True:
            if self.at_document_marker():
                raise self.error("a document marker ('---' or '...') inside a quoted string; "
                                 "is a closing quote missing?")
            while text[self.pos] in " \t":
                self.pos += 1
            if text[self.pos] != "\n":
                return breaks
            self.newline()
            breaks.append("\n")

    def scan_block_scalar(self, style: str) -> None:
        """``|`` (literal) or ``>`` (folded) with optional chomping (``+``,
        ``-``) and indentation (1-9) indicators, in either order."""
        text = self.text
        token = self.add_token(_SCALAR)
        self.pos += 1
        chomping: Optional[bool] = None       # None: clip, True: keep, False: strip
        increment = 0
        for _ in range(2):
            ch = text[self.pos]
            if ch in "+-" and chomping is None:
                chomping = ch == "+"
            elif ch in "0123456789" and not increment:
                if ch == "0":
                    raise self.error("the indentation indicator of a block scalar must be 1 to 9")
                increment = int(ch)
            else:
                break
            self.pos += 1
        if text[self.pos] not in " \n\0":
            raise self.error("expected a chomping indicator ('+' or '-'), an indentation digit "
                             "or a line break after %r" % style)
        while text[self.pos] == " ":
            self.pos += 1
        if text[self.pos] == "#":
            self.skip_comment()
        if text[self.pos] not in "\n\0":
            raise self.error("unexpected text after %r: the block scalar's content starts on the next line"
                             % style)
        if text[self.pos] == "\n":
            self.newline()

        min_indent = max(self.indent + 1, 1)
        if increment:
            indent = min_indent + increment - 1
            breaks = self.block_breaks(indent)
        else:  # the first non-empty line sets the indentation
            breaks = []
            deepest = 0
            while text[self.pos] in " \n":
                if text[self.pos] == " ":
                    self.pos += 1
                    deepest = max(deepest, self.column)
                else:
                    self.newline()
                    breaks.append("\n")
            indent = max(min_indent, deepest)

        chunks: List[str] = []
        line_break = ""
        while self.column == indent and text[self.pos] != "\0":
            chunks.extend(breaks)
            starts_with_text = text[self.pos] not in " \t"
            end = text.find("\n", self.pos)
            if end < 0:
                end = len(text) - 1
            chunks.append(text[self.pos:end])
            self.pos = end
            line_break = ""
            if text[self.pos] == "\n":
                self.newline()
                line_break = "\n"
            breaks = self.block_breaks(indent)
            if self.column != indent or text[self.pos] == "\0":
                break
            if style == ">" and line_break and starts_with_text and text[self.pos] not in " \t":
                if not breaks:
                    chunks.append(" ")        # folding: a single break becomes a space
            else:
                chunks.append(line_break)
        if chomping is not False:
            chunks.append(line_break)
        if chomping is True:
            chunks.extend(breaks)
        token.value = "".join(chunks)

    def block_breaks(self, indent: int) -> List[str]:
        """Skip indentation up to ``indent`` and collect empty lines."""
        text = self.text
        breaks: List[str] = []
        while True:
            while self.column < indent and text[self.pos] == " ":
                self.pos += 1
            if text[self.pos] != "\n":
                return breaks
            self.newline()
            breaks.append("\n")


# --------------------------------------------------------------------------
# Resolving plain scalars (YAML 1.1, as PyYAML's SafeLoader)
# --------------------------------------------------------------------------

# As in PyYAML, '$' also matches before a final newline; only a quoted
# scalar under the non-specific tag '!' can end in one.
_BOOL = re.compile(r"(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE"
                   r"|on|On|ON|off|Off|OFF)$")
_FLOAT = re.compile(r"""(?:
      [-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?     # 1.5, 1., 1.0e-4
    | \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?                 # .5 (no sign!)
    | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*       # 1:30.5, base 60
    | [-+]?\.(?:inf|Inf|INF)
    | \.(?:nan|NaN|NAN)
    )$""", re.X)
_INT = re.compile(r"""[-+]?(?:
      0b[01_]+                                          # binary
    | 0[0-7_]+                                          # octal
    | 0 | [1-9][0-9_]*                                  # decimal
    | 0x[0-9a-fA-F_]+                                   # hexadecimal
    | [1-9][0-9_]*(?::[0-5]?[0-9])+                     # 1:30, base 60
    )$""", re.X)
_NULL = re.compile(r"(?:~|null|Null|NULL|)$")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TIMESTAMP = re.compile(r"""
    ([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})
    (?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?
       (?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?
    )?$""", re.X)

_MAX_INT_DIGITS = 4300
_BOOL_WORDS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
_NAN = float("nan")  # one object, so that two '.nan' keys are the same key, as in PyYAML


class _Special:
    """A plain scalar only meaningful as a mapping key: '<<' or '='."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


_MERGE = _Special("<<")
_VALUE_KEY = _Special("=")
_PENDING = object()  # an anchored collection still being read


def _base60(text: str, number) -> Any:
    """'1:30' -> 90: the parts are digits of a base-60 number."""
    total = number(0)
    scale = 1
    for part in reversed(text.split(":")):
        total += number(part) * scale
        scale *= 60
    return total


def _construct_int(text: str) -> int:
    if len(text) > _MAX_INT_DIGITS:  # as Python 3.11+ int(); also keeps base 60 fast
        raise ValueError("integer too long")
    digits = text.replace("_", "")
    sign = -1 if digits[0] == "-" else 1
    if digits[0] in "+-":
        digits = digits[1:]
    if digits == "0":
        return 0
    if digits.startswith("0b"):
        return sign * int(digits[2:], 2)
    if digits.startswith("0x"):
        return sign * int(digits[2:], 16)
    if digits[0] == "0":
        return sign * int(digits, 8)
    if ":" in digits:
        return sign * _base60(digits, int)
    return sign * int(digits)


def _construct_float(text: str) -> float:
    digits = text.replace("_", "").lower()
    sign = -1 if digits[0] == "-" else 1
    if digits[0] in "+-":
        digits = digits[1:]
    if digits == ".inf":
        return sign * float("inf")
    if digits == ".nan":
        return _NAN
    if ":" in digits:
        return sign * _base60(digits, float)
    return sign * float(digits)


def _construct_timestamp(text: str) -> Any:
    match = _TIMESTAMP.match(text)
    if not match:
        raise ValueError("not a timestamp")
    year, month, day, hour, minute, second, fraction, zone, sign, zone_hour, zone_minute = match.groups()
    if not hour:
        return datetime.date(int(year), int(month), int(day))
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    tzinfo = None
    if sign:
        delta = datetime.timedelta(hours=int(zone_hour), minutes=int(zone_minute or 0))
        tzinfo = datetime.timezone(-delta if sign == "-" else delta)
    elif zone:
        tzinfo = datetime.timezone.utc
    return datetime.datetime(int(year), int(month), int(day), int(hour), int(minute),
                             int(second), micro, tzinfo=tzinfo)


def _resolve_plain(text: str) -> Any:
    """The value of an untagged plain scalar, by the YAML 1.1 rules."""
    if _BOOL.match(text):
        return _BOOL_WORDS[text.lower()]
    if _FLOAT.match(text):
        return _construct_float(text)
    if _INT.match(text):
        return _construct_int(text)
    if text == "<<":
        return _MERGE
    if _NULL.match(text):
        return None
    if text[:1].isdigit():
        stamp = _TIMESTAMP.match(text)
        if stamp and (stamp.group(4) or _DATE.match(text)):
            return _construct_timestamp(text)
    if text == "=":
        return _VALUE_KEY
    return text


_STANDARD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {
    "str": str,
    "null": lambda text: None,
    "bool": lambda text: _BOOL_WORDS[text.lower()],
    "int": _construct_int,
    "float": _construct_float,
    "timestamp": _construct_timestamp,
}


# --------------------------------------------------------------------------
# Parser: tokens -> values
# --------------------------------------------------------------------------

class _Parser:
    """Recursive descent over the tokens; builds the values as it goes.

    Grammar (``?`` optional, ``*`` repeated)::

        document  = DIRECTIVE* DOC_START? node? DOC_END*
        node      = ALIAS | (ANCHOR | TAG)* content?
        content   = SCALAR | flow_seq | flow_map | block_seq | block_map
        block_seq = BLOCK_SEQ (ENTRY node?)* BLOCK_END
        block_map = BLOCK_MAP (KEY node? (VALUE node?)?)* BLOCK_END
        flow_seq  = '[' (entry (',' entry)* ','?)? ']'    entry = node | KEY node? ':' node?
        flow_map  = '{' (entry (',' entry)* ','?)? '}'

    plus the "indentless" sequence: ``key:`` followed by ``- item`` lines at
    the key's own indentation, a sequence without BLOCK_SEQ/BLOCK_END.
    """

    def __init__(self, tokens: List[_Token], source: Optional[str]) -> None:
        self.tokens = tokens
        self.index = 0
        self.source = source
        self.anchors: Dict[str, Any] = {}
        self.depth = 0
        self.expanded = 0  # values that aliases repeat, counted as if written out
        self.shapes: Dict[int, Tuple[int, int]] = {}  # id(collection) -> its expanded_shape
        # id(container) -> (container, {key or index: (line, column)})
        self.where: Dict[int, Tuple[Any, Dict[Any, Tuple[int, int]]]] = {}

    def error(self, message: str, token: _Token) -> ConfigError:
        return ConfigError(message, line=token.line + 1, column=token.column + 1, source=self.source)

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def next(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != _END:
            self.index += 1
        return token

    # -- documents -----------------------------------------------------------

    def document(self) -> Any:
        value = None
        seen = False
        root = self.peek()
        if root.kind not in (_DIRECTIVE, _DOC_START, _END):
            value = self.node(block=True)
            seen = True
        while True:
            while self.peek().kind == _DOC_END:
                self.next()
            token = self.peek()
            if token.kind == _END:
                return self.plain_value(value, root)
            if seen and token.kind in (_DIRECTIVE, _DOC_START):
                raise self.error("a second YAML document starts here; a sweep config must be "
                                 "one document", token)
            if seen:
                raise self.error("unexpected %s after the end of the document "
                                 "(check the indentation)" % token.describe(), token)
            self.directives()
            if self.peek().kind != _DOC_START:
                raise self.error("expected '---' after the directives, found %s"
                                 % self.peek().describe(), self.peek())
            self.next()
            root = self.peek()
            if root.kind not in (_DIRECTIVE, _DOC_START, _DOC_END, _END):
                value = self.node(block=True)
            seen = True

    def directives(self) -> None:
        version = None
        while self.peek().kind == _DIRECTIVE:
            token = self.next()
            if token.value is None:
                continue
            if version is not None:
                raise self.error("a second %YAML directive", token)
            if token.value[0] != 1:
                raise self.error("YAML version %d.%d is not supported (1.x is required)"
                                 % token.value, token)
            version = token.value

    # -- nodes ---------------------------------------------------------------

    def node(self, block: bool = False, indentless: bool = False) -> Any:
        token = self.peek()
        if token.kind == _ALIAS:
            self.next()
            if token.value not in self.anchors:
                raise self.error("alias '*%s' refers to no anchor '&%s' defined before it"
                                 % (token.value, token.value), token)
            value = self.anchors[token.value]
            if value is _PENDING:
                raise self.error("alias '*%s' is inside the collection it refers to; recursive "
                                 "structures are not supported" % token.value, token)
            size, depth = self.expanded_shape(value)
            if self.depth + depth > MAX_DEPTH:
                raise self.error("alias '*%s' nests collections more than %d levels deep"
                                 % (token.value, MAX_DEPTH), token)
            self.expanded += size
            if self.expanded > MAX_EXPANDED:
                raise self.error("aliases expand the document to more than %d values (an alias "
                                 "bomb?); write the values out" % MAX_EXPANDED, token)
            return value
        anchor = tag_token = None
        for _ in range(2):
            if self.peek().kind == _ANCHOR and anchor is None:
                anchor = self.next()
            elif self.peek().kind == _TAG and tag_token is None:
                tag_token = self.next()
        if anchor is not None:
            if anchor.value in self.anchors:
                raise self.error("anchor '&%s' is defined twice" % anchor.value, anchor)
            self.anchors[anchor.value] = _PENDING
        tag = self.tag(tag_token) if tag_token is not None else None
        token = self.peek()
        if indentless and token.kind == _ENTRY:
            value = self.collection(self.indentless_sequence, token, tag, "seq", tag_token)
        elif token.kind == _SCALAR:
            self.next()
            value = self.scalar(token.value, token.plain, tag, tag_token)
        elif token.kind == "[":
            value = self.collection(self.flow_sequence, token, tag, "seq", tag_token)
        elif token.kind == "{":
            value = self.collection(self.flow_mapping, token, tag, "map", tag_token)
        elif block and token.kind == _BLOCK_SEQ:
            value = self.collection(self.block_sequence, token, tag, "seq", tag_token)
        elif block and token.kind == _BLOCK_MAP:
            value = self.collection(self.block_mapping, token, tag, "map", tag_token)
        elif anchor is not None or tag_token is not None:
            value = self.scalar("", True, tag, tag_token)    # '&a' or '!!str' alone
        else:
            raise self.error("expected a value, found %s" % token.describe(), token)
        if anchor is not None:
            self.anchors[anchor.value] = value
        return value

    def expanded_shape(self, value: Any) -> Tuple[int, int]:
        """How many values ``value`` holds and how deep its collections nest,
        counting each alias inside it as a full copy.  Memoised, so linear in
        the distinct values; the recursion is bounded by MAX_DEPTH."""
        if not isinstance(value, (dict, list)):
            return 1, 0
        shape = self.shapes.get(id(value))
        if shape is None:
            size = depth = 0
            for child in (value.values() if isinstance(value, dict) else value):
                child_size, child_depth = self.expanded_shape(child)
                size += child_size
                depth = max(depth, child_depth)
            shape = self.shapes[id(value)] = (1 + size, 1 + depth)
        return shape

    def tag(self, token: _Token) -> str:
        handle, suffix, written = token.value
        if handle == "!!":
            name = _STANDARD + suffix
        elif handle == "!":
            name = "!" + suffix
        elif handle is None:
            name = suffix
        else:
            raise self.error("tag handle %r is not defined (and '%%TAG' is not supported)" % handle, token)
        if name == "!":
            return name
        if name.startswith(_STANDARD) and name[len(_STANDARD):] in _SCALAR_TAGS.keys() | {"seq", "map"}:
            return name[len(_STANDARD):]
        raise self.error("tags such as %r are not supported; only the standard !!str, !!int, "
                         "!!float, !!bool, !!null, !!seq, !!map and !!timestamp are" % written, token)

    def scalar(self, text: str, plain: bool, tag: Optional[str], tag_token: Optional[_Token]) -> Any:
        if tag is None and not plain:
            return text
        if tag in ("seq", "map"):
            raise self.error("tag %r needs a %s, not a scalar"
                             % (tag_token.value[2], "sequence" if tag == "seq" else "mapping"), tag_token)
        try:
            if tag is None or tag == "!":
                return _resolve_plain(text)
            return _SCALAR_TAGS[tag](text)
        except (ValueError, IndexError, KeyError, OverflowError):
            what = {"bool": "boolean", "int": "integer", "float": "number",
                    "timestamp": "date or timestamp"}.get(tag or "", "date or number")
            where = tag_token if tag_token is not None else self.tokens[self.index - 1]
            shown = text if len(text) <= 40 else text[:37] + "..."
            raise self.error("%r is not a valid %s; quote it to keep it as text" % (shown, what),
                             where) from None

    def collection(self, parse, token: _Token, tag: Optional[str], kind: str,
                   tag_token: Optional[_Token]) -> Any:
        if tag is not None and tag not in ("!", kind):
            raise self.error("tag %r cannot be applied to a %s"
                             % (tag_token.value[2], "sequence" if kind == "seq" else "mapping"), tag_token)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("collections nested more than %d levels deep" % MAX_DEPTH, token)
        value = parse()
        self.depth -= 1
        return value

    def plain_value(self, value: Any, token: _Token) -> Any:
        """Reject '<<' and '=' where a value (not a key) is expected."""
        if isinstance(value, _Special):
            raise self.error("a plain %r can only be a mapping key; quote it to use it as text"
                             % value.text, token)
        return value

    def item_node(self, block: bool, indentless: bool = False) -> Tuple[Any, Tuple[int, int]]:
        token = self.peek()
        value = self.node(block, indentless)
        return self.plain_value(value, token), (token.line + 1, token.column + 1)

    def remember(self, container: Any, table: Dict[Any, Tuple[int, int]]) -> Any:
        self.where[id(container)] = (container, table)
        return container

    # -- sequences -----------------------------------------------------------

    def block_sequence(self) -> list:
        start = self.next()
        items: list = []
        table: Dict[Any, Tuple[int, int]] = {}
        while self.peek().kind == _ENTRY:
            entry = self.next()
            if self.peek().kind in (_ENTRY, _BLOCK_END):
                item, where = None, (entry.line + 1, entry.column + 1)
            else:
                item, where = self.item_node(block=True)
            table[len(items)] = where
            items.append(item)
        if self.peek().kind != _BLOCK_END:
            raise self.error("expected another '- ' item of the list started at line %d, or the "
                             "end of that list; found %s (check the indentation)"
                             % (start.line + 1, self.peek().describe()), self.peek())
        self.next()
        return self.remember(items, table)

    def indentless_sequence(self) -> list:
        items: list = []
        table: Dict[Any, Tuple[int, int]] = {}
        while self.peek().kind == _ENTRY:
            entry = self.next()
            if self.peek().kind in (_ENTRY, _KEY, _VALUE, _BLOCK_END):
                item, where = None, (entry.line + 1, entry.column + 1)
            else:
                item, where = self.item_node(block=True)
            table[len(items)] = where
            items.append(item)
        return self.remember(items, table)

    def flow_sequence(self) -> list:
        start = self.next()
        items: list = []
        table: Dict[Any, Tuple[int, int]] = {}
        first = True
        while not self.flow_separator(start, "]", first):
            first = False
            token = self.peek()
            if token.kind == _KEY:     # [a: b] is [{a: b}]
                self.next()
                pair = self.flow_pair("]", token)
                item, where = self.mapping([pair], token), (token.line + 1, token.column + 1)
            elif token.kind == "]":
                continue
            else:
                item, where = self.item_node(block=False)
            table[len(items)] = where
            items.append(item)
        return self.remember(items, table)

    # -- mappings ------------------------------------------------------------

    def block_mapping(self) -> dict:
        start = self.next()
        pairs = []
        while self.peek().kind == _KEY:
            key_token = self.next()
            key = value = None
            if self.peek().kind not in (_KEY, _VALUE, _BLOCK_END):
                key = self.node(block=True, indentless=True)
            if self.peek().kind == _VALUE:
                value_token = self.next()
                if self.peek().kind not in (_KEY, _VALUE, _BLOCK_END):
                    value_token = self.peek()
                    value = self.node(block=True, indentless=True)
                value = self.plain_value(value, value_token)
            pairs.append((key, value, key_token))
        if self.peek().kind != _BLOCK_END:
            raise self.error("expected another 'key: value' of the mapping started at line %d, or "
                             "the end of that mapping; found %s (check the indentation)"
                             % (start.line + 1, self.peek().describe()), self.peek())
        self.next()
        return self.mapping(pairs, start)

    def flow_mapping(self) -> dict:
        start = self.next()
        pairs = []
        first = True
        while not self.flow_separator(start, "}", first):
            first = False
            token = self.peek()
            if token.kind == _KEY:
                self.next()
                pairs.append(self.flow_pair("}", token))
            elif token.kind != "}":
                key = self.node(block=False)       # {a, b} is {a: null, b: null}
                pairs.append((key, None, token))
        return self.mapping(pairs, start)

    def flow_separator(self, start: _Token, close: str, first: bool) -> bool:
        """Consume ']' / '}' (return True) or the ',' before the next entry."""
        token = self.peek()
        if token.kind == close:
            self.next()
            return True
        if not first:
            if token.kind != ",":
                raise self.error("expected ',' or %r in the flow %s started at line %d, found %s"
                                 % (close, "sequence" if close == "]" else "mapping",
                                    start.line + 1, token.describe()), token)
            self.next()
        return False

    def flow_pair(self, close: str, key_token: _Token) -> tuple:
        key = value = None
        if self.peek().kind not in (_VALUE, ",", close):
            key = self.node(block=False)
        if self.peek().kind == _VALUE:
            value_token = self.next()
            if self.peek().kind not in (",", close):
                value_token = self.peek()
                value = self.node(block=False)
            value = self.plain_value(value, value_token)
        return key, value, key_token

    def mapping(self, pairs: list, start: _Token) -> dict:
        """Build a dict from (key, value, key token) pairs, applying '<<'.

        Precedence, as PyYAML: the mapping's own keys win over merged ones;
        a later '<<' wins over an earlier one; in ``<<: [*a, *b]`` the
        earlier mapping wins.  Duplicate keys: the last one wins.
        """
        merged: List[dict] = []
        own = []
        for key, value, token in pairs:
            if key is _MERGE:
                sources = value if isinstance(value, list) else [value]
                for source in sources:
                    if not isinstance(source, dict):
                        raise self.error("'<<' merges a mapping or a list of mappings, not %s"
                                         % _kind_of(source), token)
                merged.extend(reversed(sources))
                continue
            if key is _VALUE_KEY:
                key = "="
            try:
                hash(key)
            except TypeError:
                raise self.error("a %s cannot be a mapping key" % _kind_of(key), token) from None
            own.append((key, value, token))
        result: dict = {}
        table: Dict[Any, Tuple[int, int]] = {}
        for source in merged:
            source_table = self.where.get(id(source), (None, {}))[1]
            for key, value in source.items():
                result[key] = value
                table[key] = source_table.get(key, (start.line + 1, start.column + 1))
        for key, value, token in own:
            result[key] = value
            table[key] = (token.line + 1, token.column + 1)
        return self.remember(result, table)


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "sequence"
    return "scalar (%r)" % (value,)


def _fill_positions(root: Any, where: dict, positions: dict) -> None:
    """Walk the finished value and record each key's and item's position."""
    budget = _POSITIONS_BUDGET
    stack: List[Tuple[Any, tuple]] = [(root, ())]
    while stack and budget > 0:
        container, path = stack.pop()
        entry = where.get(id(container))
        if entry is None or entry[0] is not container:
            continue
        table = entry[1]
        children = container.items() if isinstance(container, dict) else enumerate(container)
        for key, child in children:
            child_path = path + (key,)
            if key in table:
                positions[child_path] = table[key]
                budget -= 1
            if isinstance(child, (dict, list)):
                stack.append((child, child_path))


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

def load(text: str, *, source: Optional[str] = None, positions: Optional[dict] = None) -> object:
    """Read one YAML document and return its value, as ``yaml.safe_load`` would.

    Args:
        text: the YAML text (``\\r\\n`` line ends and a leading byte-order
            mark are fine).
        source: the file name, used in error messages.
        positions: if a dict, it is filled with ``path -> (line, column)``
            (1-based) for every mapping key and sequence item, where ``path``
            is the tuple of keys and indices from the root, such as
            ``("parameters", "lr", "min")`` or ``("command", 2)``.

    Returns:
        The document's value: dicts, lists, str, int, float, bool, None,
        ``datetime.date`` / ``datetime.datetime``.  An empty document is None.

    Raises:
        ConfigError: the text is not YAML, is more than one document, or uses
            a feature outside the supported subset; ``line`` and ``column``
            say where.

    >>> load("values: [0.1, 0.01]  # two\\n")
    {'values': [0.1, 0.01]}
    >>> load("a: 1\\n  b: 2\\n", source="sweep.yaml")
    Traceback (most recent call last):
      ...
    minisweep.errors.ConfigError: sweep.yaml:2:4: unexpected ':' -- a 'key: value' pair cannot start here (is the line mis-indented, or is a value missing its quotes?)
    """
    if not isinstance(text, str):
        raise ConfigError("expected the YAML text as a str, got %s" % type(text).__name__, source=source)
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text or "\x85" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x85", "\n")
    bad = _FORBIDDEN.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        ch = bad.group()
        if ch in "\u2028\u2029":
            message = "Unicode line separator U+%04X is not supported; use a normal line break" % ord(ch)
        elif ch == "\ufeff":
            message = "byte-order mark (U+FEFF) in the middle of the text"
        else:
            message = "character U+%04X is not allowed in YAML" % ord(ch)
        raise ConfigError(message, line=line, column=column, source=source)
    tokens = _Scanner(text, source).scan()
    parser = _Parser(tokens, source)
    try:
        value = parser.document()
    except RecursionError:  # only when called with little stack to spare
        raise ConfigError("collections nested too deeply", source=source) from None
    if positions is not None:
        _fill_positions(value, parser.where, positions)
    return value
