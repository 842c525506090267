"""The lint suite: bad policies under tests/lint/cases, good ones under tests/lint/good.

Each tests/lint/cases/NAME.json has NAME.expected: the exact stdout of
`mtaroute lint cases/NAME.json` run from tests/lint/, then a line `exit N`. The good policies
must lint clean (exit 0, no output, also with --strict). Every case is also run in the json,
github and sarif formats, which must agree with the text run; the locations of pointer-based
diagnostics are checked against an independent JSON-with-comments parser; every rule id that
src/ can emit in lint must be shown by some case; and hostile inputs (byte mutations and
truncations of the examples, a FIFO, /dev/null, huge nesting and strings, NUL bytes) must
never crash, hang or pass.

MTAROUTE_UPDATE_GOLDEN=1 rewrites the .expected files instead of comparing them. Review every
changed line by eye: an expected file must be RIGHT, not merely what the tool says today.
Run: MTAROUTE=build/mtaroute MTAROUTE_SOURCE_DIR=. python3 tests/integration/test_lint_suite.py
"""
import difflib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
import unittest
from pathlib import Path

SOURCE_DIR = Path(os.environ.get("MTAROUTE_SOURCE_DIR", Path(__file__).resolve().parents[2])).resolve()
MTAROUTE = str(Path(os.environ.get("MTAROUTE", SOURCE_DIR / "build" / "mtaroute")).resolve())
LINT_DIR = SOURCE_DIR / "tests" / "lint"
CASES = sorted(p for p in (LINT_DIR / "cases").glob("*.json") if p.is_file())
GOOD = sorted(p for p in (LINT_DIR / "good").glob("*.json") if p.is_file())
EXAMPLES = sorted((SOURCE_DIR / "examples").glob("*.json"))
UPDATE = os.environ.get("MTAROUTE_UPDATE_GOLDEN") == "1"

TIMEOUT = 5.0        # no input may take longer than this
FAST_TIMEOUT = 2.0   # the huge generated inputs must be refused at least this fast
MUTATION_SEED = 20260601
MUTATIONS = 300

# Rules that only `gen` can emit: lint never reads secrets (README, SPEC "auth").
GEN_ONLY_SOURCES = {"src/cli/secrets.cc"}

TEXT_LINE = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning|note): "
    r"(?P<message>.*) \[(?P<rule>[a-z0-9]+(?:-[a-z0-9]+)*)\]$")
HINT_LINE = re.compile(r"^  hint: (?P<hint>.*)$")
GITHUB_LINE = re.compile(
    r"^::(?P<command>error|warning|notice) file=(?P<file>[^,]*),line=(?P<line>\d+),"
    r"col=(?P<column>\d+),title=(?P<rule>[a-z0-9-]+)::(?P<message>.*)$")
JSON_KEYS = ["file", "line", "column", "pointer", "severity", "rule", "message", "hint"]
GITHUB_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}
SARIF_LEVEL = {"error": "error", "warning": "warning", "note": "note"}


def clean_env():
    """The environment without what changes the default output (format auto, colour)."""
    env = dict(os.environ)
    for name in ("GITHUB_ACTIONS", "CLICOLOR_FORCE", "FORCE_COLOR"):
        env.pop(name, None)
    env["NO_COLOR"] = "1"
    return env


def lint(args, cwd=LINT_DIR, input_bytes=None, timeout=TIMEOUT):
    """Runs `mtaroute lint ARGS`; returns (CompletedProcess, seconds)."""
    start = time.monotonic()
    proc = subprocess.run([MTAROUTE, "lint", *args], cwd=cwd, env=clean_env(),
                          capture_output=True, timeout=timeout, input=input_bytes,
                          stdin=None if input_bytes is not None else subprocess.DEVNULL)
    return proc, time.monotonic() - start


_RUNS = {}


def cached_lint(*args):
    """`mtaroute lint ARGS` from tests/lint, run once per test process."""
    if args not in _RUNS:
        _RUNS[args] = lint(list(args))[0]
    return _RUNS[args]


def text_run(case):
    return cached_lint(rel(case))


def rel(path):
    return path.relative_to(LINT_DIR).as_posix()


def show(data):
    return data.decode("utf-8", "backslashreplace")


def diff(expected, actual, name):
    lines = difflib.unified_diff(show(expected).splitlines(True), show(actual).splitlines(True),
                                 f"{name} (expected)", f"{name} (actual)")
    return "".join(lines)


def parse_text(stdout):
    """The diagnostics of a text run: dicts with file, line, column, severity, message, rule,
    hint; raises AssertionError on a line that is neither a diagnostic nor its hint."""
    diagnostics = []
    for line in show(stdout).split("\n")[:-1]:
        if m := TEXT_LINE.match(line):
            d = m.groupdict()
            d["line"], d["column"], d["hint"] = int(d["line"]), int(d["column"]), ""
            diagnostics.append(d)
        elif (m := HINT_LINE.match(line)) and diagnostics and not diagnostics[-1]["hint"]:
            diagnostics[-1]["hint"] = m["hint"]
        else:
            raise AssertionError(f"not a diagnostic or hint line: {line!r}")
    return diagnostics


# --- An independent JSON-with-comments parser that records where every pointer starts. -----

class Located:
    """Positions (line, column in code points, both 1-based) of each pointer's key and value,
    first occurrence only, like the tool's source map."""

    def __init__(self, text):
        self.text, self.i, self.keys, self.values = text, 0, {}, {}
        if self.text.startswith("\ufeff"):
            self.i = 1
        self.line_starts = [0] + [k + 1 for k, c in enumerate(text) if c == "\n"]
        self.ws()
        self.value("")
        self.ws()
        if self.i != len(self.text):
            raise ValueError("trailing data")

    def position(self, offset):
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, offset - self.line_starts[lo] + 1

    def ws(self):
        t = self.text
        while self.i < len(t):
            if t[self.i] in " \t\r\n":
                self.i += 1
            elif t.startswith("//", self.i):
                end = t.find("\n", self.i)
                self.i = len(t) if end < 0 else end + 1
            elif t.startswith("/*", self.i):
                end = t.find("*/", self.i + 2)
                if end < 0:
                    raise ValueError("open comment")
                self.i = end + 2
            else:
                return

    def string(self):
        t, start = self.text, self.i
        self.i += 1
        while t[self.i] != '"':
            self.i += 2 if t[self.i] == "\\" else 1
        self.i += 1
        return json.loads(t[start:self.i])

    def value(self, pointer):
        t = self.text
        self.values.setdefault(pointer, self.position(self.i))
        c = t[self.i]
        if c == "{":
            self.i += 1
            self.ws()
            if t[self.i] == "}":
                self.i += 1
                return
            while True:
                self.ws()
                key_at = self.position(self.i)
                key = self.string()
                member = pointer + "/" + key.replace("~", "~0").replace("/", "~1")
                self.keys.setdefault(member, key_at)
                self.ws()
                if t[self.i] != ":":
                    raise ValueError("colon")
                self.i += 1
                self.ws()
                self.value(member)
                self.ws()
                if t[self.i] == ",":
                    self.i += 1
                    continue
                if t[self.i] != "}":
                    raise ValueError("object")
                self.i += 1
                return
        if c == "[":
            self.i += 1
            self.ws()
            if t[self.i] == "]":
                self.i += 1
                return
            index = 0
            while True:
                self.ws()
                self.value(f"{pointer}/{index}")
                index += 1
                self.ws()
                if t[self.i] == ",":
                    self.i += 1
                    continue
                if t[self.i] != "]":
                    raise ValueError("array")
                self.i += 1
                return
        if c == '"':
            self.string()
            return
        m = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null").match(t, self.i)
        if not m:
            raise ValueError("literal")
        self.i = m.end()

    def places(self, pointer):
        """Where a diagnostic about pointer may point: its key or value, else its nearest
        existing parent's."""
        while True:
            found = [p for p in (self.keys.get(pointer), self.values.get(pointer)) if p]
            if found or pointer == "":
                return found
            pointer = pointer[:pointer.rfind("/")]


# Rules located by a byte offset the parser knew, not by a pointer.
OFFSET_RULES = {"json-syntax", "duplicate-key", "too-deep", "string-too-long", "file-too-large"}


def rules_in_source():
    """Every rule id src/ can report, with the files that report it."""
    found = {}
    call = re.compile(r"\b(?:Error|Warning|Note|Add)\(\s*(?:[A-Za-z_:]+,\s*)?([^,;]*?)\s*,", re.S)
    for path in sorted((SOURCE_DIR / "src").rglob("*.cc")):
        text = path.read_text(encoding="utf-8", errors="replace")
        names = [s for m in call.finditer(text)
                 for s in re.findall(r'"([a-z0-9]+(?:-[a-z0-9]+)+)"', m.group(1))]
        names += re.findall(r'\brule\s*=\s*"([a-z0-9]+(?:-[a-z0-9]+)+)"', text)
        for name in names:
            found.setdefault(name, set()).add(path.relative_to(SOURCE_DIR).as_posix())
    return found


class GoldenTest(unittest.TestCase):
    def test_cases_exist(self):
        self.assertGreaterEqual(len(CASES), 45, "at least 45 bad policies")
        self.assertGreaterEqual(len(GOOD), 5, "some good policies")

    def test_each_case_has_expected_output(self):
        expected = {p.stem for p in (LINT_DIR / "cases").glob("*.expected")}
        self.assertEqual(sorted(expected - {p.stem for p in CASES}), [], "orphan .expected files")
        if not UPDATE:
            self.assertEqual(sorted({p.stem for p in CASES} - expected), [],
                             "cases without .expected (run with MTAROUTE_UPDATE_GOLDEN=1)")

    def test_text_output_matches_expected(self):
        for case in CASES:
            with self.subTest(case=case.name):
                proc = text_run(case)
                self.assertGreaterEqual(proc.returncode, 0, f"crashed: {show(proc.stderr)}")
                actual = proc.stdout + f"exit {proc.returncode}\n".encode()
                golden = case.with_suffix(".expected")
                if UPDATE:
                    if not golden.exists() or golden.read_bytes() != actual:
                        golden.write_bytes(actual)
                        print(f"rewrote {rel(golden)}: review it", file=sys.stderr)
                    continue
                expected = golden.read_bytes() if golden.exists() else b""
                self.assertEqual(show(proc.stderr), "", "lint wrote to stderr")
                if actual != expected:
                    self.fail("output differs:\n" + diff(expected, actual, rel(golden)))
                self.assertIn(proc.returncode, (0, 1))
                errors = [d for d in parse_text(proc.stdout) if d["severity"] == "error"]
                self.assertEqual(proc.returncode, 1 if errors else 0, "exit status vs errors")
                self.assertTrue(proc.stdout, "a bad policy must report something")

    def test_explicit_text_format_is_the_default(self):
        for case in CASES[:10]:
            with self.subTest(case=case.name):
                default, _ = lint([rel(case)])
                explicit, _ = lint(["--format", "text", rel(case)])
                self.assertEqual(default.stdout, explicit.stdout)
                self.assertEqual(default.returncode, explicit.returncode)

    def test_good_policies_are_clean(self):
        for path in GOOD:
            for strict in ([], ["--strict"]):
                with self.subTest(policy=path.name, strict=bool(strict)):
                    proc, _ = lint([*strict, rel(path)])
                    self.assertEqual((proc.returncode, show(proc.stdout), show(proc.stderr)),
                                     (0, "", ""))

    def test_every_rule_is_covered(self):
        shown = set()
        for golden in (LINT_DIR / "cases").glob("*.expected"):
            for line in show(golden.read_bytes()).split("\n"):
                if m := TEXT_LINE.match(line):
                    shown.add(m["rule"])
        shown.add("file-too-large")  # FileSizeTest: a checked-in 64 MiB file would be silly
        missing = {rule: sorted(files) for rule, files in rules_in_source().items()
                   if rule not in shown and not files <= GEN_ONLY_SOURCES}
        self.assertEqual(missing, {}, "rules that no case in tests/lint/cases shows")


class FormatTest(unittest.TestCase):
    """json, github and sarif agree with the text run of the same case."""

    def runs(self, fmt):
        for case in CASES:
            with self.subTest(case=case.name, format=fmt):
                text = text_run(case)
                proc = cached_lint("--format", fmt, rel(case))
                self.assertGreaterEqual(proc.returncode, 0,
                                        f"crashed with signal {-proc.returncode}: "
                                        f"{show(proc.stderr)[:300]}")
                self.assertEqual(proc.returncode, text.returncode)
                yield case, parse_text(text.stdout), proc

    def test_json(self):
        for case, expected, proc in self.runs("json"):
            out = json.loads(proc.stdout)
            self.assertIsInstance(out, list)
            self.assertEqual(len(out), len(expected))
            for d, t in zip(out, expected):
                self.assertEqual(list(d), JSON_KEYS)
                self.assertEqual((d["file"], d["line"], d["column"], d["severity"], d["rule"]),
                                 (rel(case), t["line"], t["column"], t["severity"], t["rule"]))
                self.assertEqual((d["message"], d["hint"]), (t["message"], t["hint"]))
                self.assertIsInstance(d["pointer"], str)
                self.assertTrue(d["pointer"] == "" or d["pointer"].startswith("/"))

    def test_github(self):
        for case, expected, proc in self.runs("github"):
            lines = show(proc.stdout).split("\n")
            self.assertEqual(lines[-1], "")
            self.assertEqual(len(lines) - 1, len(expected))
            for line, t in zip(lines, expected):
                m = GITHUB_LINE.match(line)
                self.assertIsNotNone(m, f"not a workflow command: {line!r}")
                self.assertEqual((m["command"], m["file"], int(m["line"]), int(m["column"]),
                                  m["rule"]),
                                 (GITHUB_COMMAND[t["severity"]], rel(case), t["line"],
                                  t["column"], t["rule"]))
                self.assertNotIn("\r", line)

    def test_sarif(self):
        for case, expected, proc in self.runs("sarif"):
            sarif = json.loads(proc.stdout)
            self.assertEqual(sarif["version"], "2.1.0")
            results = sarif["runs"][0]["results"]
            self.assertEqual(len(results), len(expected))
            rules = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
            for r, t in zip(results, expected):
                region = r["locations"][0]["physicalLocation"]["region"]
                self.assertEqual((r["ruleId"], r["level"], region["startLine"],
                                  region["startColumn"]),
                                 (t["rule"], SARIF_LEVEL[t["severity"]], t["line"], t["column"]))
                self.assertIn(r["ruleId"], rules)
                self.assertEqual(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                                 rel(case))

    def test_locations_match_pointers(self):
        """Every pointer-based diagnostic points at its pointer's key or value (or, for a
        pointer that does not exist, its nearest parent's), by an independent parser."""
        for case, expected, proc in self.runs("json"):
            try:
                located = Located(case.read_bytes().decode("utf-8"))
            except (ValueError, IndexError, UnicodeDecodeError):
                continue  # syntax cases: located by offset, reviewed by eye
            for d in json.loads(proc.stdout):
                if d["rule"] in OFFSET_RULES:
                    continue
                self.assertIn((d["line"], d["column"]), located.places(d["pointer"]),
                              f"{d['rule']} at {d['line']}:{d['column']} for {d['pointer']!r}")


class TextSafetyTest(unittest.TestCase):
    """Hostile text in a policy must not reach an output line raw: every line is valid UTF-8
    and holds no control character, line or paragraph separator, invisible format character
    or space other than U+0020, whatever the policy holds (quoted input is escaped)."""

    @staticmethod
    def problems(data):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            return [f"invalid UTF-8 at byte {e.start}: {data[max(0, e.start - 30):e.start + 5]!r}"]
        bad = []
        for line in text.split("\n"):
            for ch in line:
                category = unicodedata.category(ch)
                if category in ("Cc", "Zl", "Zp", "Cf") or (category == "Zs" and ch != " "):
                    bad.append(f"U+{ord(ch):04X} in {line[:120]!r}")
                    break
        return bad

    def test_text_output_lines_are_clean(self):
        for case in CASES:
            with self.subTest(case=case.name):
                self.assertEqual(self.problems(text_run(case).stdout), [])


class OptionsTest(unittest.TestCase):
    def test_strict_turns_warnings_into_failure(self):
        case = "cases/unused-relay.json"
        plain, _ = lint([case])
        strict, _ = lint(["--strict", case])
        self.assertEqual(plain.returncode, 0)
        self.assertTrue(plain.stdout)
        self.assertNotIn("error:", show(plain.stdout))
        self.assertEqual(strict.returncode, 1)
        self.assertEqual(strict.stdout, plain.stdout)

    def test_strict_keeps_errors_failing(self):
        proc, _ = lint(["--strict", "cases/unknown-relay-typo.json"])
        self.assertEqual(proc.returncode, 1)

    def test_several_files(self):
        files = ["cases/unknown-relay-typo.json", "cases/unused-relay.json", "good/minimal.json",
                 "cases/bad-version.json"]
        single = [lint([f])[0] for f in files]
        together, _ = lint(files)
        self.assertEqual(together.stdout, b"".join(p.stdout for p in single))
        self.assertEqual(together.returncode, 1)
        warnings_only, _ = lint(files[1:3])
        self.assertEqual(warnings_only.returncode, 0)
        strict, _ = lint(["--strict", *files[1:3]])
        self.assertEqual(strict.returncode, 1)
        clean, _ = lint(["good/minimal.json", "good/relay-default.json"])
        self.assertEqual((clean.returncode, clean.stdout), (0, b""))
        for fmt in ("json", "sarif"):
            proc, _ = lint(["--format", fmt, *files])
            out = json.loads(proc.stdout)
            count = len(out) if fmt == "json" else len(out["runs"][0]["results"])
            self.assertEqual(count, sum(len(parse_text(p.stdout)) for p in single), fmt)

    def test_unreadable_file_among_others_is_exit_2(self):
        proc, _ = lint(["cases/bad-version.json", "cases/no-such-policy.json"])
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stdout, lint(["cases/bad-version.json"])[0].stdout)
        self.assertEqual(show(proc.stderr), "mtaroute: cannot read cases/no-such-policy.json: "
                                            "No such file or directory\n")

    def test_missing_file(self):
        proc, _ = lint(["cases/no-such-policy.json"])
        self.assertEqual((proc.returncode, proc.stdout), (2, b""))
        self.assertEqual(show(proc.stderr), "mtaroute: cannot read cases/no-such-policy.json: "
                                            "No such file or directory\n")

    def test_directory(self):
        proc, _ = lint(["cases"])
        self.assertEqual((proc.returncode, proc.stdout), (2, b""))
        self.assertEqual(show(proc.stderr), "mtaroute: cannot read cases: is a directory\n")

    @unittest.skipIf(os.geteuid() == 0, "root reads every file")
    def test_unreadable_permissions(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "secret.json"
            path.write_text('{"version": 1}')
            path.chmod(0)
            proc, _ = lint([str(path)])
            self.assertEqual((proc.returncode, proc.stdout), (2, b""))
            self.assertIn("Permission denied", show(proc.stderr))

    def test_standard_input(self):
        data = (LINT_DIR / "cases" / "bad-version.json").read_bytes()
        proc, _ = lint(["-"], input_bytes=data)
        expected = lint(["cases/bad-version.json"])[0].stdout.replace(b"cases/bad-version.json",
                                                                       b"<stdin>")
        self.assertEqual((proc.returncode, proc.stdout), (1, expected))

    def test_usage_errors(self):
        for args in ([], ["--format", "xml", "good/minimal.json"], ["--no-such-option"]):
            with self.subTest(args=args):
                proc, _ = lint(args)
                self.assertEqual(proc.returncode, 2)
                self.assertEqual(proc.stdout, b"")


class FileSizeTest(unittest.TestCase):
    def test_max_size(self):
        proc, _ = lint(["--max-size", "50", "cases/bad-version.json"])
        self.assertEqual(show(proc.stdout),
                         "cases/bad-version.json:1:1: error: the policy is larger than 50 bytes "
                         "[file-too-large]\n"
                         "  hint: a policy this large is unusual; raise the limit with --max-size "
                         "if it is right\n")
        self.assertEqual(proc.returncode, 1)
        ok, _ = lint(["--max-size", "50", "good/minimal.json"])
        self.assertEqual((ok.returncode, ok.stdout), (0, b""))

    def test_file_over_the_default_limit_is_refused_unread(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "huge.json"
            with open(path, "wb") as f:  # sparse: costs no disk
                f.write(b'{"version": 1, "x-pad": "')
                f.truncate(64 * 1024 * 1024 + 1)
            proc, seconds = lint([str(path)], timeout=TIMEOUT)
            self.assertEqual(proc.returncode, 1)
            self.assertEqual([d["rule"] for d in parse_text(proc.stdout)], ["file-too-large"])
            self.assertLess(seconds, FAST_TIMEOUT)


def deep_nesting(depth=200_000):
    return b'{"version": 1, "x-deep": ' + b"[" * depth + b"]" * depth + b"}\n"


def deep_objects(depth=200_000):
    return b'{"version": 1, "x-deep": ' + b'{"a":' * depth + b"1" + b"}" * depth + b"}\n"


def long_string(size=16 * 1024 * 1024):
    return b'{"version": 1, "routes": [{"domains": ["' + b"a" * size + b'"], "relay": "direct"}]}\n'


def long_key(size=16 * 1024 * 1024):
    return b'{"version": 1, "' + b"k" * size + b'": 1}\n'


class RobustnessTest(unittest.TestCase):
    """Nothing crashes (a negative return code is a signal), hangs or passes on bad input."""

    def check(self, path, allowed=(1, 2), label=None, timeout=TIMEOUT, strict=False):
        try:
            proc, seconds = lint(["--strict"] * strict + [path.name], cwd=path.parent,
                                 timeout=timeout)
        except subprocess.TimeoutExpired:
            self.fail(f"{label or path}: took more than {timeout} s")
        self.assertGreaterEqual(proc.returncode, 0,
                                f"{label or path}: killed by signal {-proc.returncode}: "
                                f"{show(proc.stderr)[:300]}")
        self.assertIn(proc.returncode, allowed, f"{label or path}: exit {proc.returncode}\n"
                                                f"{show(proc.stdout)[:500]}")
        if proc.returncode in (0, 1) and proc.stdout and not strict:
            diagnostics = parse_text(proc.stdout)
            errors = [d for d in diagnostics if d["severity"] == "error"]
            self.assertEqual(proc.returncode, 1 if errors else 0,
                             f"{label or path}: exit status disagrees with the diagnostics")
        return proc, seconds

    def test_cases_and_good_inputs(self):
        """Every case fails under --strict (some hold warnings only); good inputs pass."""
        for case in CASES:
            with self.subTest(case=case.name):
                self.check(case, allowed=(1,), strict=True)
        for good in GOOD:
            with self.subTest(good=good.name):
                self.check(good, allowed=(0,), strict=True)

    def test_generated_huge_inputs_are_refused_fast(self):
        generated = {
            "deep-arrays.json": (deep_nesting(), "too-deep"),
            "deep-objects.json": (deep_objects(), "too-deep"),
            "long-string.json": (long_string(), "string-too-long"),
            "long-key.json": (long_key(), "string-too-long"),
        }
        with tempfile.TemporaryDirectory() as tmp:
            for name, (content, rule) in generated.items():
                with self.subTest(input=name):
                    path = Path(tmp) / name
                    path.write_bytes(content)
                    proc, seconds = self.check(path, allowed=(1,), timeout=TIMEOUT)
                    diagnostics = parse_text(proc.stdout)
                    self.assertEqual([d["rule"] for d in diagnostics], [rule])
                    self.assertLess(seconds, FAST_TIMEOUT)
                    self.assertLess(len(proc.stdout), 2000, "a huge input floods the output")
                    for fmt in ("json", "sarif", "github"):
                        out, _ = lint(["--format", fmt, name], cwd=tmp)
                        self.assertEqual(out.returncode, 1, fmt)

    def test_special_files(self):
        with tempfile.TemporaryDirectory() as tmp:
            fifo = Path(tmp) / "fifo.json"
            os.mkfifo(fifo)
            proc, seconds = self.check(fifo, allowed=(2,))
            self.assertLess(seconds, FAST_TIMEOUT, "a FIFO must be refused at once")
            self.assertEqual(show(proc.stderr),
                             f"mtaroute: cannot read {fifo.name}: not a regular file\n")
            proc, _ = self.check(Path("/dev/null"), allowed=(2,))
            self.assertIn("not a regular file", show(proc.stderr))
            empty = Path(tmp) / "empty.json"
            empty.write_bytes(b"")
            proc, _ = self.check(empty, allowed=(1,))
            self.assertEqual([d["rule"] for d in parse_text(proc.stdout)], ["json-syntax"])

    def test_nul_bytes_outside_strings(self):
        """A raw NUL byte is no JSON whitespace: the policy is invalid wherever it stands."""
        inputs = {
            "between tokens": (b'{"version": 1,\x00 "routes": []}', (1, 15)),
            "after the document": (b'{"version": 1}\x00{"version": 2, "bogus": [', (1, 15)),
            "at the end": (b'{"version": 1}\n\x00', (2, 1)),
            "at the start": (b'\x00{"version": 1}', (1, 1)),
        }
        with tempfile.TemporaryDirectory() as tmp:
            for label, (content, where) in inputs.items():
                with self.subTest(input=label):
                    path = Path(tmp) / "nul.json"
                    path.write_bytes(content)
                    proc, _ = self.check(path, allowed=(1,), label=label)
                    diagnostics = parse_text(proc.stdout)
                    self.assertEqual([(d["rule"], d["line"], d["column"]) for d in diagnostics],
                                     [("json-syntax", *where)])
                    self.assertNotIn("end of input", diagnostics[0]["message"],
                                     "a NUL byte is not the end of the file")

    def test_truncated_examples(self):
        self.assertTrue(EXAMPLES)
        with tempfile.TemporaryDirectory() as tmp:
            for example in EXAMPLES:
                data = example.read_bytes()
                for cut in range(0, len(data), 97):
                    prefix = data[:cut]
                    with self.subTest(example=example.name, cut=cut):
                        path = Path(tmp) / "truncated.json"
                        path.write_bytes(prefix)
                        complete = prefix.rstrip() == data.rstrip()
                        self.check(path, allowed=(0, 1) if complete else (1,),
                                   label=f"{example.name}[:{cut}]")

    def test_mutated_examples(self):
        # Random byte mutations with a fixed seed. A mutation may leave a valid policy (a
        # changed letter in a comment or a domain), so exit 0 is allowed, but the exit status
        # must agree with the diagnostics, and nothing may crash or hang in any format.
        rng = random.Random(MUTATION_SEED)
        originals = [p.read_bytes() for p in EXAMPLES]
        interesting = b'\x00\x01\n\r\t "\\/*{}[],:#@\x7f\x80\xbf\xc0\xc3\xe2\xed\xf0\xf5\xfe\xff'
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "mutated.json"
            for n in range(MUTATIONS):
                data = bytearray(originals[n % len(originals)])
                for _ in range(rng.randint(1, 4)):
                    at = rng.randrange(len(data))
                    kind = rng.randrange(5)
                    byte = rng.choice(interesting) if rng.random() < 0.6 else rng.randrange(256)
                    if kind == 0:
                        data[at] = byte
                    elif kind == 1:
                        del data[at]
                    elif kind == 2:
                        data.insert(at, byte)
                    elif kind == 3:
                        end = min(len(data), at + rng.randint(1, 40))
                        data[at:at] = data[at:end] * rng.randint(1, 50)
                    else:
                        data[at:at] = b"[" * rng.randint(60, 70)
                path.write_bytes(bytes(data))
                with self.subTest(mutation=n):
                    self.check(path, allowed=(0, 1), label=f"mutation {n}")
                    for fmt in ("json", "sarif")[n % 2:n % 2 + 1]:  # alternate: half the runs
                        proc, _ = lint(["--format", fmt, path.name], cwd=tmp)
                        self.assertGreaterEqual(proc.returncode, 0,
                                                f"mutation {n}, {fmt}: signal "
                                                f"{-proc.returncode}: {show(proc.stderr)[:200]}")
                        json.loads(proc.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=1)
