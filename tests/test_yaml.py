"""Tests for minisweep.yamlreader: it must read YAML exactly as PyYAML 6's
``yaml.safe_load`` does, or refuse with a ConfigError naming the line.

The expected values below were written by hand from the YAML 1.1 rules and
checked against PyYAML 6.0.3 during development; the suite itself needs
nothing but the standard library.
"""

import datetime
import doctest
import json
import math
import unittest

from minisweep import yamlreader
from minisweep.errors import ConfigError
from minisweep.yamlreader import load
from tests.support import CORPUS, needs_corpus, warnings_are_errors


INF = float("inf")
NAN = float("nan")
UTC = datetime.timezone.utc


def load_tests(loader, tests, ignore):
    tests.addTests(doctest.DocTestSuite(yamlreader))
    return tests


def same(got, want) -> bool:
    """Equal, with the same types (1 is not 1.0 or True) and key order; NaN equals NaN."""
    if type(got) is not type(want):
        return False
    if isinstance(got, dict):
        return list(got) == list(want) and all(same(got[k], want[k]) for k in got)
    if isinstance(got, list):
        return len(got) == len(want) and all(same(a, b) for a, b in zip(got, want))
    if isinstance(got, float) and math.isnan(got):
        return math.isnan(want)
    return got == want


class WarningsAsErrors(unittest.TestCase):
    def setUp(self) -> None:
        warnings_are_errors(self)

    def check_table(self, table) -> None:
        for text, want in table:
            with self.subTest(text=text):
                got = load(text)
                self.assertTrue(same(got, want), "%r -> %r, expected %r" % (text, got, want))


# --------------------------------------------------------------------------
# Plain scalars: YAML 1.1 resolution, as PyYAML's SafeLoader
# --------------------------------------------------------------------------

PLAIN_SCALARS = [
    # booleans: three spellings each of yes/no/true/false/on/off, never y/n
    ("yes", True), ("Yes", True), ("YES", True), ("yEs", "yEs"),
    ("no", False), ("No", False), ("NO", False),
    ("true", True), ("True", True), ("TRUE", True), ("tRUE", "tRUE"),
    ("false", False), ("on", True), ("On", True), ("ON", True),
    ("off", False), ("Off", False), ("OFF", False),
    ("y", "y"), ("Y", "Y"), ("n", "n"), ("N", "N"),
    # null
    ("~", None), ("null", None), ("Null", None), ("NULL", None), ("nUll", "nUll"),
    ("None", "None"),
    # floats need a dot; the exponent needs a sign
    ("1e-4", "1e-4"), ("1E-4", "1E-4"), ("5e-05", "5e-05"), ("1e6", "1e6"),
    ("1.0e-4", 0.0001), ("1.e-4", 0.0001), ("2.0E+5", 200000.0), ("1.0e4", "1.0e4"),
    ("1.5", 1.5), ("1.", 1.0), ("-1.5", -1.5), ("+1.5", 1.5), ("0.0000001", 1e-07),
    (".5", 0.5), ("-.5", "-.5"), ("+.5", "+.5"), ("1_000.5", 1000.5), ("1.2.3", "1.2.3"),
    (".inf", INF), (".Inf", INF), (".INF", INF), ("-.inf", -INF), ("+.Inf", INF),
    (".nan", NAN), (".NaN", NAN), (".NAN", NAN), ("nan", "nan"), ("inf", "inf"), ("-.nan", "-.nan"),
    # integers: octal, hex, binary, underscores, base 60
    ("0", 0), ("-0", 0), ("12", 12), ("+12", 12), ("-12", -12), ("1_000", 1000),
    ("017", 15), ("-017", -15), ("08", "08"), ("0o17", "0o17"),
    ("0x1f", 31), ("0x1F", 31), ("-0x10", -16), ("0b101", 5), ("0b1_0", 2), ("0B101", "0B101"),
    ("1:30", 90), ("-1:30", -90), ("190:20:30", 685230), ("1:60", "1:60"), ("0:30", "0:30"),
    ("1:30.5", 90.5), ("_1", "_1"), ("1_", 1),
    # dates and timestamps
    ("2001-12-14", datetime.date(2001, 12, 14)),
    ("2001-1-14", "2001-1-14"),
    ("2001-12-14t21:59:43.10-05:00", datetime.datetime(
        2001, 12, 14, 21, 59, 43, 100000, tzinfo=datetime.timezone(datetime.timedelta(hours=-5)))),
    ("2001-12-14 21:59:43.10 -5", datetime.datetime(
        2001, 12, 14, 21, 59, 43, 100000, tzinfo=datetime.timezone(datetime.timedelta(hours=-5)))),
    ("2002-12-14T01:02:03Z", datetime.datetime(2002, 12, 14, 1, 2, 3, tzinfo=UTC)),
    ("2001-12-14 21:59:43", datetime.datetime(2001, 12, 14, 21, 59, 43)),
    ("2001-12-14 21:59:43.1234567", datetime.datetime(2001, 12, 14, 21, 59, 43, 123456)),
    # plain text, including characters that are indicators elsewhere
    ("a#b", "a#b"), ("a:b", "a:b"), ("${args}", "${args}"), ("-x", "-x"), ("?x", "?x"),
    (":x", ":x"), ("http://a.b/c?d=1#e", "http://a.b/c?d=1#e"), ("(0.4914, 0.48)", "(0.4914, 0.48)"),
    ("70,80,90", "70,80,90"), ("a b  c", "a b  c"), ("C:\\Users\\x", "C:\\Users\\x"),
]


class PlainScalarTest(WarningsAsErrors):
    def test_as_document(self) -> None:
        self.check_table(PLAIN_SCALARS)

    def test_as_mapping_value(self) -> None:
        self.check_table([("v: %s\n" % text, {"v": want}) for text, want in PLAIN_SCALARS])

    def test_inside_flow_sequence(self) -> None:
        table = [("[%s]" % text, [want]) for text, want in PLAIN_SCALARS
                 if not any(c in text for c in ",[]{}?") and not text.startswith(":")]
        self.check_table(table)

    def test_as_keys(self) -> None:
        self.check_table([
            ("1: a\n2: b\n", {1: "a", 2: "b"}),
            ("yes: a\n~: b\n", {True: "a", None: "b"}),
            ("2001-12-14: a\n", {datetime.date(2001, 12, 14): "a"}),
            ("1.5: a\n", {1.5: "a"}),
            ("=: a\n", {"=": "a"}),
            ("{=: 1}", {"=": 1}),
        ])


# --------------------------------------------------------------------------
# Quoted scalars, multi-line scalars, comments, block scalars
# --------------------------------------------------------------------------

QUOTED = [
    ("'it''s'", "it's"), ("'a\\nb'", "a\\nb"), ("'say \"hi\"'", 'say "hi"'),
    ('"1"', "1"), ("'yes'", "yes"), ("'~'", "~"), ('""', ""), ("''", ""), ('"1e-4"', "1e-4"),
    ('"a\\tb\\nc\\\\d\\"e\\/f"', 'a\tb\nc\\d"e/f'),
    ('"\\x41\\u00e9\\U0001F600"', "A\u00e9\U0001F600"),
    ('"\\0\\a\\b\\v\\f\\r\\e\\ \\N\\_\\L\\P"', "\0\x07\x08\x0b\x0c\r\x1b \x85\xa0\u2028\u2029"),
    ('"a\tb"', "a\tb"), ("'a\tb'", "a\tb"),
    ('"it\'s"', "it's"), ("'back\\slash'", "back\\slash"),
    # line folding in multi-line quoted scalars
    ('"a\n  b"', "a b"), ('"a  \n  b"', "a b"), ('"a\n\n  b"', "a\nb"), ('"a\n\n\n b"', "a\n\nb"),
    ("'a\n  b'", "a b"), ("'a\n\n  b'", "a\nb"),
    ('"a\\\n   b"', "ab"), ('"a \\\n b"', "a b"),
    ("k: 'x\ny'\n", {"k": "x y"}),
    # multi-line plain scalars fold too
    ("k: a\n  b\n", {"k": "a b"}), ("k: a\n  b\n\n  c\n", {"k": "a b\nc"}),
    ("a\nb", "a b"), ("- a\n  b\n- c", ["a b", "c"]), ("k: v\n  - w\n", {"k": "v - w"}),
    ("[a\n b, c]", ["a b", "c"]),
]

COMMENTS = [
    ("a: b #c\n", {"a": "b"}), ("a: b#c\n", {"a": "b#c"}), ("a: 'x' # c\n", {"a": "x"}),
    ('a: "x"#c\n', {"a": "x"}), ("# only a comment\n", None), ("#\n#\n", None),
    ("a: # nothing\nb: 1\n", {"a": None, "b": 1}),
    ("- a # c\n# between\n- b\n", ["a", "b"]),
    ("a: [1, # one\n  2, #two\n  # alone\n]\n", {"a": [1, 2]}),
    ("a: 'x # not a comment'\n", {"a": "x # not a comment"}),
    ("a: |  # comment after the indicator\n  x\n", {"a": "x\n"}),
]

BLOCK_SCALARS = [
    ("a: |\n  x\n  y\n", {"a": "x\ny\n"}),
    ("a: |-\n  x\n  y\n", {"a": "x\ny"}),
    ("a: |+\n  x\n\n\nb: 1\n", {"a": "x\n\n\n", "b": 1}),
    ("a: |\n  x\n\n\nb: 1\n", {"a": "x\n", "b": 1}),
    ("a: >\n  x\n  y\n\n  z\n", {"a": "x y\nz\n"}),
    ("a: >-\n  x\n  y\n", {"a": "x y"}),
    ("a: >+\n  x\n\n", {"a": "x\n\n"}),
    ("a: >\n  x\n    indented\n  y\n", {"a": "x\n  indented\ny\n"}),
    ("a: |\n  trailing   \n  tab\there\t\n", {"a": "trailing   \ntab\there\t\n"}),
    ("a: |\n  # not a comment\n", {"a": "# not a comment\n"}),
    ("a: |2\n   x\n  y\n", {"a": " x\ny\n"}),
    ("a: |1-\n  x\n", {"a": " x"}),
    ("a: |-2\n   x\n", {"a": " x"}),
    ("- |\n  x\n- >-\n  y\n  z\n", ["x\n", "y z"]),
    ("|\n  no trailing newline", "no trailing newline"),
    ("a: |\n\n  x\n", {"a": "\nx\n"}),
    ("a: |\nb: 1\n", {"a": "", "b": 1}),
    ("description: |\n  Line one.\n    Indented line.\n\n  Last.\n",
     {"description": "Line one.\n  Indented line.\n\nLast.\n"}),
]


class ScalarStyleTest(WarningsAsErrors):
    def test_quoted(self) -> None:
        self.check_table(QUOTED)

    def test_comments(self) -> None:
        self.check_table(COMMENTS)

    def test_block_scalars(self) -> None:
        self.check_table(BLOCK_SCALARS)


# --------------------------------------------------------------------------
# Collections, anchors, merge keys, documents, line ends, tags
# --------------------------------------------------------------------------

COLLECTIONS = [
    ("a: 1\nb:\n  c: 2\n  d: [3, 4]\n", {"a": 1, "b": {"c": 2, "d": [3, 4]}}),
    ("command:\n- python\n- ${program}\n", {"command": ["python", "${program}"]}),
    ("a:\n  - 1\n  -\n  - - 2\n    - 3\n", {"a": [1, None, [2, 3]]}),
    ("- a: 1\n  b: 2\n- c\n", [{"a": 1, "b": 2}, "c"]),
    ("- - a\n  - b\n- c\n", [["a", "b"], "c"]),
    ("a:\nb:\n", {"a": None, "b": None}),
    ("a:    1\nb :  2\n", {"a": 1, "b": 2}),
    ("max_grad:norm: 1\n", {"max_grad:norm": 1}),
    ("'a: b': c\n\"d\": e\n", {"a: b": "c", "d": "e"}),
    ("[]", []), ("{}", {}), ("[[], {}]", [[], {}]),
    ("[a, b, ]", ["a", "b"]), ("{a: 1, }", {"a": 1}),
    ("[\n  1,\n  2\n]", [1, 2]),
    ("a: [\n  [1, 2],\n  [3, 4],\n]\n", {"a": [[1, 2], [3, 4]]}),
    ("{a: [1, {b: c}], d: {e: f}}", {"a": [1, {"b": "c"}], "d": {"e": "f"}}),
    ("{a:1}", {"a:1": None}), ("{a, b: c}", {"a": None, "b": "c"}),
    ("[a: b, c]", [{"a": "b"}, "c"]), ("[a:b]", ["a:b"]),
    ("{'a': \"b\", c: 'd'}", {"a": "b", "c": "d"}),
    ("[http://x.y/z, a]", ["http://x.y/z", "a"]),
    ("a: 1]\n", {"a": "1]"}), ("a: b}, c\n", {"a": "b}, c"}),
    ("a: [1,2,3]\n", {"a": [1, 2, 3]}),
    ("a: 1\na: 2\n", {"a": 2}),                       # duplicate keys: the last wins
    ("a: 1\nb: 2\na: 3\n", {"a": 3, "b": 2}),
    ("1: a\ntrue: b\n", {1: "b"}),                    # 1 == True in Python
    ("    a: 1\n    b: 2\n", {"a": 1, "b": 2}),
    ("a:\n        b: 1\n        c: 2\n", {"a": {"b": 1, "c": 2}}),
]

ANCHORS = [
    ("a: &x 1\nb: *x\n", {"a": 1, "b": 1}),
    ("a: &x [1, 2]\nb: *x\n", {"a": [1, 2], "b": [1, 2]}),
    ("- &x\n  k: v\n- *x\n", [{"k": "v"}, {"k": "v"}]),
    ("a: &x\nb: *x\n", {"a": None, "b": None}),
    ("a: !!str &x 5\nb: *x\n", {"a": "5", "b": "5"}),
    ("a: &x !!str 5\nb: *x\n", {"a": "5", "b": "5"}),
    ("base: &b {x: 1, y: 2}\nrun:\n  <<: *b\n  y: 3\n", {"base": {"x": 1, "y": 2}, "run": {"x": 1, "y": 3}}),
    ("a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n",
     {"a": {"x": 1}, "b": {"x": 2, "y": 2}, "c": {"x": 1, "y": 2}}),
    ("<<: {a: 1}\na: 2\n<<: {a: 3, b: 4}\n", {"a": 2, "b": 4}),
    ("a: 1\n<<: {b: 2}\n", {"b": 2, "a": 1}),         # merged keys come first
    ("- <<: [{a: 1}, {a: 2, b: 3}]\n", [{"a": 1, "b": 3}]),
    ("a: &a {<<: {x: 1}, y: 2}\nb: {<<: *a, z: 3}\n",
     {"a": {"x": 1, "y": 2}, "b": {"x": 1, "y": 2, "z": 3}}),
    ("'<<': 1\n", {"<<": 1}),
    ("a: &x-y_1 v\nb: *x-y_1\n", {"a": "v", "b": "v"}),
]

DOCUMENTS = [
    ("", None), ("\n\n", None), ("   \n", None), ("---", None), ("---\n...\n", None),
    ("--- a\n", "a"), ("--- a\n...\n", "a"), ("---\na: 1\n", {"a": 1}),
    ("a: 1\n...\n", {"a": 1}), ("%YAML 1.1\n---\na: 1\n", {"a": 1}),
    ("%YAML 1.2\n--- x\n", "x"), ("# c\n--- # c\na: 1\n... # c\n", {"a": 1}),
    ("--- |\n  x\n", "x\n"), ("--- [1, 2]\n", [1, 2]),
]

LINE_ENDS = [
    ("a: 1\r\nb:\r\n  - x\r\n", {"a": 1, "b": ["x"]}),
    ("a: |\r\n  x\r\n  y\r\n", {"a": "x\ny\n"}),
    ('a: "x\r\n  y"\r\n', {"a": "x y"}),
    ("a: 1\rb: 2\r", {"a": 1, "b": 2}),
    ("\ufeffa: 1\nb: 2\n", {"a": 1, "b": 2}),
    ("a: 1", {"a": 1}), ("a: [1, 2]", {"a": [1, 2]}), ("a: |\n  x", {"a": "x"}),
    ("a: 1   \nb: 2  \n", {"a": 1, "b": 2}),
    ("a:   \n  b: 1\n", {"a": {"b": 1}}),
]

TAGS = [
    ("!!str 12", "12"), ("!!str", ""), ("- !!str\n- b\n", ["", "b"]), ("!!str yes", "yes"),
    ("!!int '12'", 12), ("!!int 0x10", 16), ("!!int 0o17", 15),
    ("!!float '1'", 1.0), ("!!float 1e5", 100000.0), ("!!float .inf", INF),
    ("!!bool yes", True), ("!!bool 'off'", False), ("!!null x", None), ("!!null", None),
    ("!!seq [1]", [1]), ("!!map {a: 1}", {"a": 1}), ("a: !!map\n  b: 1\n", {"a": {"b": 1}}),
    ("!!timestamp 2001-1-2", datetime.date(2001, 1, 2)),
    ("!<tag:yaml.org,2002:str> 12", "12"), ("!!st%72 12", "12"),
    ("! 12", 12), ("! '12'", 12), ("! [a]", ["a"]),
]


class StructureTest(WarningsAsErrors):
    def test_collections(self) -> None:
        self.check_table(COLLECTIONS)

    def test_anchors_and_merge_keys(self) -> None:
        self.check_table(ANCHORS)

    def test_alias_is_the_same_object(self) -> None:
        value = load("a: &x [1]\nb: *x\n")
        self.assertIs(value["a"], value["b"])

    def test_nan_keys_are_one_key(self) -> None:
        # PyYAML builds every '.nan' from one float object, so equal keys collide.
        value = load(".nan: 1\n.nan: 2\n")
        self.assertEqual(len(value), 1)
        key, = value
        self.assertTrue(math.isnan(key))
        self.assertEqual(value[key], 2)

    def test_merged_keys_come_first(self) -> None:
        self.assertEqual(list(load("a: 1\n<<: {b: 2}\n")), ["b", "a"])

    def test_documents(self) -> None:
        self.check_table(DOCUMENTS)

    def test_line_ends_bom_and_trailing_whitespace(self) -> None:
        self.check_table(LINE_ENDS)

    def test_standard_tags(self) -> None:
        self.check_table(TAGS)


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

# (text, line, column, words the message must contain); PyYAML rejects each.
ERRORS = [
    # tabs
    ("a:\n\t- b\n", 2, 1, "tab character used for indentation"),
    ("\ta: 1\n", 1, 1, "tab character used for indentation"),
    ("a:\tb\n", 1, 3, "tab"),
    ("a: b\t\n", 1, 5, "tab"),
    ("a: b\t# c\n", 1, 5, "tab"),
    ("- a\n-\tb\n", 2, 2, "tab"),
    ("a: [1,\t2]\n", 1, 7, "tab"),
    # structure and indentation
    ("a: b: c\n", 1, 5, "':'"),
    ("k: v\n w: x\n", 2, 3, "':'"),
    ("a: 1\n  b: 2\n", 2, 4, "':'"),
    ("a: 1\nb\nc: 2\n", 2, 1, "no ':'"),
    ("a:\n  - b\n  c: d\n", 3, 3, "list started at line 2"),
    ("a:\n    b: 1\n  c: 2\n", 3, 3, "mapping started at line 1"),
    ("a: - b\n", 1, 4, "list item"),
    ("- a\nb: c\n", 2, 1, "list started at line 1"),
    ("a: 1\n- b\n", 2, 1, "mapping started at line 1"),
    ("sweep_config = {\n    \"method\": \"random\",\n}\n", 2, 13, "':'"),
    (": a\n", 1, 1, "mapping started at line 1"),
    # flows and quotes
    ("a: 1\nb: [1, 2\n", 2, 4, "unclosed flow sequence"),
    ("a: {x: 1\n", 1, 4, "unclosed flow mapping"),
    ("a: [1, 2}\n", 1, 9, "expected ',' or ']'"),
    ("- a\n---x\n", 2, 1, "no ':'"),
    ("a: ]\n", 1, 4, "']'"),
    ("[a, , b]", 1, 5, "expected a value"),
    ("[a\n: b]", 2, 1, "expected ',' or ']'"),
    ("[http://a.b/c?d=1]", 1, 14, "quote"),
    ("a: \"abc\n", 1, 4, "unclosed quoted string"),
    ("a: 'abc\nb: 1\n", 1, 4, "unclosed quoted string"),
    ('a: "x\n---\ny"\n', 2, 1, "document marker"),
    ('a: "\\q"\n', 1, 6, "escape"),
    ('a: "\\x4"\n', 1, 6, "hexadecimal"),
    ('a: "\\UFFFFFFFF"\n', 1, 6, "Unicode"),
    # documents and directives
    ("a: 1\n---\nb: 2\n", 2, 1, "second"),
    ("--- a\n--- b\n", 2, 1, "second"),
    ("...\n", 1, 1, "expected a value"),
    ("a\n...\nb\n", 3, 1, "after the end of the document"),
    ("%YAML 2.0\n--- a\n", 1, 1, "version"),
    ("%YAML 1.1\n%YAML 1.1\n--- a\n", 2, 1, "second %YAML"),
    ("%YAML 1.1\na: 1\n", 2, 2, None),
    # anchors, aliases, merge keys and special values
    ("a: *nope\n", 1, 4, "'*nope'"),
    ("a: &x 1\nb: &x 2\n", 2, 4, "defined twice"),
    ("a: &\n", 1, 4, "anchor name"),
    ("<<: 1\n", 1, 1, "'<<'"),
    ("<<: [{a: 1}, 2]\n", 1, 1, "'<<'"),
    ("a: <<\n", 1, 4, "'<<'"),
    ("a: =\n", 1, 4, "'='"),
    ("- =\n", 1, 3, "'='"),
    ("=", 1, 1, "'='"),
    ("[a, b]: c\n", 1, 1, "sequence cannot be a mapping key"),
    ("{a: 1}: x\n", 1, 1, "mapping cannot be a mapping key"),
    # values that cannot be built
    ("a: 2001-13-14\n", 1, 4, "not a valid"),
    ("a: !!int x\n", 1, 4, "not a valid integer"),
    ("a: !!bool y\n", 1, 4, "not a valid boolean"),
    ("a: !!float\n", 1, 4, "not a valid number"),
    ("a: !!int [1]\n", 1, 4, "cannot be applied to a sequence"),
    ("a: !!seq x\n", 1, 4, "scalar"),
    ("a: !!map [1]\n", 1, 4, "cannot be applied"),
    ("a: !!str\tx\n", 1, 9, "space after the tag"),
    # block scalars
    ("a: |0\n  x\n", 1, 5, "1 to 9"),
    ("a: |x\n", 1, 5, "indicator"),
    ("a: | x\n", 1, 6, "next line"),
    # characters YAML forbids
    ("a: \x07\n", 1, 4, "U+0007"),
    ("a: 'x\x7fy'\n", 1, 6, "U+007F"),
    ("a: @x\n", 1, 4, "'@'"),
    ("a: `x\n", 1, 4, "'`'"),
    ("a: %x\n", 1, 4, "'%'"),
]

# Outside the subset: refused on purpose (PyYAML accepts most of these).
UNSUPPORTED = [
    ("a: !!python/object:os.system x\n", 1, 4, "tags such as '!!python/object:os.system' are not supported"),
    ("a: !custom x\n", 1, 4, "tags such as '!custom' are not supported"),
    ("a: !!binary aGk=\n", 1, 4, "not supported"),
    ("a: !!set {x}\n", 1, 4, "not supported"),
    ("a: !e!x y\n", 1, 4, "'!e!'"),
    ("%TAG !e! tag:example.com,2000:\n--- !e!x y\n", 1, 1, "'%TAG'"),
    ("? a\n: b\n", 1, 1, "'? key'"),
    ("{? a : b}", 1, 2, "'? key'"),
    ("&a [*a]", 1, 5, "recursive"),
    ("&a {x: *a}", 1, 8, "recursive"),
    ("a: b\u2028c\n", 1, 5, "U+2028"),
    ("a: b\ufeff\n", 1, 5, "byte-order mark"),
    ("[" * 101 + "]" * 101, 1, 101, "nested"),
    ("a: " + "1" * 5000 + "\n", 1, 4, "not a valid"),
]


class ErrorTest(WarningsAsErrors):
    def check_errors(self, table) -> None:
        for text, line, column, words in table:
            with self.subTest(text=text[:60]):
                with self.assertRaises(ConfigError) as caught:
                    load(text, source="sweep.yaml")
                err = caught.exception
                self.assertEqual((err.line, err.column), (line, column), str(err))
                self.assertEqual(err.source, "sweep.yaml")
                self.assertTrue(str(err).startswith("sweep.yaml:%d:%d: " % (line, column)), str(err))
                if words:
                    self.assertIn(words, str(err))

    def test_invalid_yaml_names_the_line(self) -> None:
        self.check_errors(ERRORS)

    def test_unsupported_features_are_refused(self) -> None:
        self.check_errors(UNSUPPORTED)

    def test_is_a_value_error(self) -> None:
        with self.assertRaises(ValueError):
            load("a: [")

    def test_not_text(self) -> None:
        with self.assertRaises(ConfigError):
            load(b"a: 1")  # type: ignore[arg-type]

    def test_deep_nesting_is_a_config_error(self) -> None:
        for text in ("[" * 5000, "{a: " * 5000, "- " * 5000 + "a",
                     "".join(" " * i + "k:\n" for i in range(300))):
            with self.subTest(text=text[:20]):
                with self.assertRaises(ConfigError):
                    load(text)

    def test_garbage_only_raises_config_error(self) -> None:
        # Inputs the differential fuzzer once produced, plus odd corners.
        garbage = [
            "\t", ":", "-", "?", "!", "&", "*", "|", ">", "'", '"', "[", "{", "]", "}", ",", "%", "@",
            "- - -", "-\t", "? ", ": :", "!!", "!<", "!<x", "&&", "**", "|-+", ">9", "\"\\", "'''",
            "--- ---", "... ...", "%YAML", "%YAML 1", "%YAML 1.x", "%TAG", "[\n---\n]", "{a: [}]",
            "a: !!int 0b", "a: !!int ''", "a: !!float ''", "a: !!float -", "a: !!timestamp x",
            "a: 2001-02-30", "a: 2001-12-14 25:00:00", "a: 2001-12-14 10:00:00 +99",
            "a: 1:" + "59:" * 300 + "1.5", "a: \"\\U00110000\"", "k:\n  - a\n -b",
            "a:\n  b: |\n c", "&a b: *a", "*a: 1", "a: &b\n  *b: 1", "x: [a, !!str]",
        ]
        for text in garbage:
            with self.subTest(text=text[:40]):
                try:
                    load(text)
                except ConfigError as err:
                    self.assertIsNotNone(err.line, str(err))


# --------------------------------------------------------------------------
# Positions
# --------------------------------------------------------------------------

class PositionsTest(WarningsAsErrors):
    def test_keys_and_items(self) -> None:
        text = (
            "program: train.py\n"
            "parameters:\n"
            "  lr:\n"
            "    min: 0.1\n"
            "    max: 1\n"
            "command:\n"
            "  - python\n"
            "  -\n"
            "  - [a, {b: 1}]\n"
            "flat:\n"
            "- x\n"
        )
        where: dict = {}
        load(text, positions=where)
        self.assertEqual(where, {
            ("program",): (1, 1),
            ("parameters",): (2, 1),
            ("parameters", "lr"): (3, 3),
            ("parameters", "lr", "min"): (4, 5),
            ("parameters", "lr", "max"): (5, 5),
            ("command",): (6, 1),
            ("command", 0): (7, 5),
            ("command", 1): (8, 3),
            ("command", 2): (9, 5),
            ("command", 2, 0): (9, 6),
            ("command", 2, 1): (9, 9),
            ("command", 2, 1, "b"): (9, 10),
            ("flat",): (10, 1),
            ("flat", 0): (11, 3),
        })

    def test_duplicate_key_points_at_the_last(self) -> None:
        where: dict = {}
        load("a: 1\nb: 2\na: 3\n", positions=where)
        self.assertEqual(where[("a",)], (3, 1))

    def test_merged_keys_point_at_their_definition(self) -> None:
        where: dict = {}
        load("base: &b\n  x: 1\n  y: 2\nrun:\n  <<: *b\n  y: 3\n", positions=where)
        self.assertEqual(where[("run", "x")], (2, 3))
        self.assertEqual(where[("run", "y")], (6, 3))

    def test_aliased_subtree_is_located_at_its_anchor(self) -> None:
        where: dict = {}
        load("a: &x\n  k: 1\nb: *x\n", positions=where)
        self.assertEqual(where[("b",)], (3, 1))
        self.assertEqual(where[("b", "k")], (2, 3))

    def test_crlf_and_bom_do_not_shift_columns(self) -> None:
        where: dict = {}
        load("\ufeffa:\r\n  b: 1\r\n", positions=where)
        self.assertEqual(where, {("a",): (1, 1), ("a", "b"): (2, 3)})

    def test_none_means_no_work(self) -> None:
        self.assertEqual(load("a: 1", positions=None), {"a": 1})


# --------------------------------------------------------------------------
# The corpus of real sweep configs
# --------------------------------------------------------------------------

def _json_form(value):
    """What a value becomes in the corpus's expected JSON (dates as ISO text)."""
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: _json_form(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_form(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


@needs_corpus
class CorpusTest(WarningsAsErrors):
    def files(self):
        return sorted(p for p in CORPUS.iterdir() if p.suffix in (".yml", ".yaml"))

    def test_every_config_reads_as_pyyaml_reads_it(self) -> None:
        files = self.files()
        self.assertGreaterEqual(len(files), 1)
        checked = 0
        for path in files:
            expected = path.with_name(path.name + ".expected.json")
            if not expected.exists():
                continue
            with self.subTest(file=path.name):
                text = path.read_text(encoding="utf-8")
                want = json.loads(expected.read_text(encoding="utf-8"))
                got = load(text, source=path.name)
                self.assertTrue(same(_json_form(got), want), path.name)
                checked += 1
        self.assertGreaterEqual(checked, 40)

    def test_crlf_files_read_the_same_with_newline_translation_off(self) -> None:
        for path in self.files():
            raw = path.read_bytes()
            if b"\r\n" not in raw or not path.with_name(path.name + ".expected.json").exists():
                continue
            with self.subTest(file=path.name):
                self.assertTrue(same(load(raw.decode("utf-8")), load(path.read_text(encoding="utf-8"))))

    def test_files_without_expected_value_are_rejected_with_a_line(self) -> None:
        for path in self.files():
            if path.with_name(path.name + ".expected.json").exists():
                continue
            with self.subTest(file=path.name):
                with self.assertRaises(ConfigError) as caught:
                    load(path.read_text(encoding="utf-8"), source=path.name)
                self.assertIsNotNone(caught.exception.line)
                self.assertEqual(caught.exception.source, path.name)


if __name__ == "__main__":
    unittest.main()
