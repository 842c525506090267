"""The command line's manners: --help on every subcommand (exit 0, every option shown),
--version, exit status 2 for usage errors, data on stdout and errors on stderr for every
command, colour only on a terminal (NO_COLOR, TERM=dumb, --color), and `lint --format auto`
picking GitHub workflow commands under GITHUB_ACTIONS=true.

Terminal cases run mtaroute on a real pseudo-terminal (Python's pty module).
"""
import json
import os
import pty
import re
import select
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib.mtaroute_cli import MTAROUTE, SOURCE_DIR, assert_not_crashed  # noqa: E402

ESC = b"\x1b"
EXAMPLE = SOURCE_DIR / "examples" / "gmail-relay.json"  # lints with warnings, no error

# Every subcommand and the options its --help must show: the contract that the man page and
# the shell completions (test_install.py) are checked against too. A new subcommand or
# option goes here, into man/mtaroute.1 and into completions/.
COMMANDS = {
    (): ["--help", "--version"],
    ("lint",): ["--format", "--color", "--strict", "--max-size", "POLICY"],
    ("gen",): [],
    ("gen", "postfix"): ["--out", "--only", "--check", "--template-dir", "--max-size",
                         "--table-type", "--config-dir", "POLICY"],
    ("gen", "qmail"): ["--out", "--only", "--check", "--template-dir", "--max-size", "POLICY"],
    ("gen", "spf"): ["--out", "--only", "--check", "--template-dir", "--max-size", "--format",
                     "POLICY"],
    ("route",): ["--format", "--max-size", "POLICY", "RECIPIENT"],
    ("schema",): [],
    ("init",): ["--relay", "--port", "--domains", "--out", "--force"],
    ("triage",): ["--policy", "--format", "--year", "LOG"],
}
# Being written elsewhere: checked as soon as the binary has them. Remove from here then.
PENDING = set()

# A policy with a warning (an unused relay) and no error.
WARNING_POLICY = """{
  "version": 1,
  "relays": {
    "used": { "host": "relay.example.net", "port": 2525 },
    "spare": { "host": "spare.example.net" }
  },
  "routes": [ { "domains": ["gmail.com"], "subdomains": true, "relay": "used" } ],
  "origins": [ { "name": "web", "networks": ["192.0.2.16/28"] } ]
}
"""
ERROR_POLICY = """{
  "version": 1,
  "relays": { "used": { "host": "relay.example.net" } },
  "routes": [ { "domains": ["gmail.com"], "relay": "usd" } ]
}
"""


def clean_env(**extra):
    """The environment without the variables that change output (colour, format)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("NO_COLOR", "GITHUB_ACTIONS", "CLICOLOR", "CLICOLOR_FORCE")}
    env.setdefault("TERM", "xterm")
    env.update(extra)
    return env


def run(args, env=None, cwd=None, input_bytes=None):
    proc = subprocess.run([MTAROUTE, *args], capture_output=True, env=env or clean_env(),
                          cwd=cwd, input=input_bytes, timeout=60)
    assert_not_crashed(proc, args)
    return proc


def run_on_tty(args, env):
    """Runs mtaroute with stdout on a pseudo-terminal; returns (status, stdout, stderr)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([MTAROUTE, *args], stdout=slave, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    err = proc.stderr.read()
    proc.stderr.close()
    status = proc.wait(timeout=60)
    return status, out, err


def help_sections(text):
    """{"options": [...], "subcommands": [...], "positionals": [...]} from CLI11's --help."""
    sections, current = {"options": [], "subcommands": [], "positionals": []}, None
    for line in text.splitlines():
        header = line.rstrip(":").strip().lower()
        if line.endswith(":") and header in sections:
            current = header
            continue
        if not line.startswith("  ") or current is None:
            if line and not line.startswith(" "):
                current = None
            continue
        match = re.match(r"^  (\S+)", line)
        if not match or line.startswith("   "):
            continue  # a wrapped description
        word = match.group(1)
        if current == "options":
            sections[current] += re.findall(r"--?[A-Za-z][\w-]*", word.split(" ")[0])
        else:
            sections[current].append(word)
    return sections


def built_commands():
    """The subcommand paths the binary has, from --help recursively."""
    found, queue = [()], [()]
    while queue:
        path = queue.pop()
        text = run([*path, "--help"]).stdout.decode()
        for sub in help_sections(text)["subcommands"]:
            found.append((*path, sub))
            queue.append((*path, sub))
    return found


class HelpAndVersionTest(unittest.TestCase):
    def test_version(self):
        proc = run(["--version"])
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(proc.stderr, b"")
        self.assertRegex(proc.stdout.decode(), r"^mtaroute \d+\.\d+\.\d+\n$")
        cmake = (SOURCE_DIR / "CMakeLists.txt").read_text()
        version = re.search(r"project\(mtaroute VERSION (\d+\.\d+\.\d+)", cmake).group(1)
        self.assertEqual(proc.stdout.decode(), f"mtaroute {version}\n")

    def test_every_command_is_known(self):
        for path in built_commands():
            with self.subTest(command=" ".join(path)):
                self.assertIn(path, COMMANDS, "a new subcommand: add it to COMMANDS here, to "
                              "man/mtaroute.1 and to completions/")

    def test_help_on_every_command(self):
        built = set(built_commands())
        for path, expected in COMMANDS.items():
            if path in PENDING and path not in built:
                continue
            with self.subTest(command=" ".join(path)):
                self.assertIn(path, built, "documented but not in the binary")
                for flag in ("--help", "-h"):
                    proc = run([*path, flag])
                    self.assertEqual(proc.returncode, 0, proc.stderr)
                    self.assertEqual(proc.stderr, b"")
                    text = proc.stdout.decode()
                    self.assertIn("Usage: mtaroute", text)
                    sections = help_sections(text)
                    shown = sections["options"] + sections["positionals"]
                    for option in expected:
                        self.assertIn(option, shown, f"{option} missing from --help:\n{text}")
                    # Every option shown is in the contract (and so in man page, completions).
                    for option in sections["options"]:
                        if option.startswith("--") and option not in ("--help",):
                            self.assertIn(option, expected, f"{option} is not in COMMANDS")


class UsageErrorTest(unittest.TestCase):
    def test_usage_errors_exit_2(self):
        with tempfile.TemporaryDirectory() as tmp:
            cases = [
                [],
                ["no-such-command"],
                ["--no-such-option"],
                ["lint"],
                ["lint", "--format", "yaml", str(EXAMPLE)],
                ["lint", "--color", "blue", str(EXAMPLE)],
                ["lint", "--max-size", "lots", str(EXAMPLE)],
                ["lint", str(Path(tmp) / "missing.json")],
                ["lint", tmp],
                ["gen"],
                ["gen", "sendmail", str(EXAMPLE)],
                ["gen", "postfix"],
                ["gen", "postfix", str(EXAMPLE), "--table-type", "dbm"],
                ["gen", "postfix", str(EXAMPLE), "--check"],
                ["gen", "postfix", str(EXAMPLE), "--out", tmp, "--only", "transport"],
                ["gen", "qmail", str(EXAMPLE), "--bogus"],
                ["gen", "spf", str(EXAMPLE), "--format", "yaml"],
                ["schema", "extra"],
                ["init", "--port", "0"],
                ["init", "--port", "65536"],
                ["init", "--port", "smtp"],
                ["init", "--domains", "*.gmail.com"],
                ["init", "--relay", "bad host"],
                ["triage", "--format", "yaml", "-"],
                ["route", str(EXAMPLE)],
                ["route", "--format", "yaml", str(EXAMPLE), "gmail.com"],
            ]
            for args in cases:
                with self.subTest(args=args):
                    proc = run(args, input_bytes=b"")
                    self.assertEqual(proc.returncode, 2, proc.stderr)
                    self.assertEqual(proc.stdout, b"", "a usage error prints nothing on stdout")
                    self.assertNotEqual(proc.stderr.strip(), b"", "and says why on stderr")


class StreamsTest(unittest.TestCase):
    """Data on stdout, errors and (for gen) diagnostics on stderr."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        (self.dir / "warn.json").write_text(WARNING_POLICY)
        (self.dir / "error.json").write_text(ERROR_POLICY)

    def tearDown(self):
        self.tmp.cleanup()

    def test_gen_diagnostics_on_stderr_files_on_stdout(self):
        for target, first in (("postfix", "transport"), ("qmail", "smtproutes")):
            with self.subTest(target=target):
                proc = run(["gen", target, "warn.json"], cwd=self.dir)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                out, err = proc.stdout.decode(), proc.stderr.decode()
                self.assertIn(f"# ==> {first} <==", out)
                self.assertIn("relay.example.net", out)
                self.assertIn("warning:", err)
                self.assertIn("[unused-relay]", err)
                self.assertNotIn("unused-relay", out)
                self.assertNotIn("==>", err)

    def test_gen_only_keeps_stdout_to_the_file(self):
        proc = run(["gen", "postfix", "warn.json", "--only", "transport"], cwd=self.dir)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(b"[unused-relay]", proc.stderr)
        self.assertNotIn(b"unused-relay", proc.stdout)
        self.assertTrue(proc.stdout.startswith(b"# Generated by mtaroute"), proc.stdout[:200])

    def test_gen_errors_on_stderr_nothing_on_stdout(self):
        for target in ("postfix", "qmail", "spf"):
            with self.subTest(target=target):
                proc = run(["gen", target, "error.json"], cwd=self.dir)
                self.assertEqual(proc.returncode, 1)
                self.assertEqual(proc.stdout, b"")
                self.assertIn(b'error: relay "usd" is not defined', proc.stderr)

    def test_route_and_triage(self):
        proc = run(["route", "warn.json", "user@mx.gmail.com"], cwd=self.dir)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(b"relay.example.net", proc.stdout)
        self.assertNotIn(b"unused-relay", proc.stdout)
        empty_log = self.dir / "mail.log"
        empty_log.write_text("")
        proc = run(["triage", "--policy", "warn.json", "mail.log"], cwd=self.dir)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(proc.stdout)
        self.assertNotIn(b"unused-relay", proc.stdout)
        for args in (["route", "error.json", "gmail.com"],
                     ["triage", "--policy", "error.json", "mail.log"]):
            with self.subTest(args=args):
                proc = run(args, cwd=self.dir)
                self.assertEqual(proc.returncode, 1)
                self.assertEqual(proc.stdout, b"")
                self.assertIn(b'error: relay "usd" is not defined', proc.stderr)

    def test_lint_findings_on_stdout(self):
        proc = run(["lint", "error.json"], cwd=self.dir)
        self.assertEqual(proc.returncode, 1)
        self.assertIn(b"error.json:4:", proc.stdout)
        self.assertEqual(proc.stderr, b"")
        proc = run(["lint", "--format", "json", "warn.json"], cwd=self.dir)
        self.assertEqual(proc.returncode, 0)
        self.assertEqual([d["rule"] for d in json.loads(proc.stdout)], ["unused-relay"])
        self.assertEqual(proc.stderr, b"")

    def test_unreadable_input_on_stderr(self):
        proc = run(["lint", "missing.json"], cwd=self.dir)
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stdout, b"")
        self.assertIn(b"missing.json", proc.stderr)

    def test_schema_and_init_print_data_only(self):
        for args in (["schema"], ["init"]):
            with self.subTest(args=args):
                proc = run(args)
                self.assertEqual(proc.returncode, 0)
                self.assertEqual(proc.stderr, b"")
                self.assertTrue(proc.stdout)


class ColorTest(unittest.TestCase):
    def lint_args(self, *extra):
        return ["lint", *extra, str(EXAMPLE)]

    def test_tty_gets_colour(self):
        # The control case: without it the "no colour" tests below prove nothing.
        for env in (clean_env(), clean_env(NO_COLOR="")):
            status, out, _ = run_on_tty(self.lint_args(), env)
            self.assertEqual(status, 0)
            self.assertIn(b"\x1b[1;35mwarning:", out)

    def test_no_colour_when_not_a_terminal(self):
        proc = run(self.lint_args())
        self.assertEqual(proc.returncode, 0)
        self.assertIn(b"warning:", proc.stdout)
        self.assertNotIn(ESC, proc.stdout + proc.stderr)

    def test_no_color_environment(self):
        for value in ("1", "0", "false", "yes"):  # any non-empty value
            with self.subTest(NO_COLOR=value):
                status, out, err = run_on_tty(self.lint_args(), clean_env(NO_COLOR=value))
                self.assertEqual(status, 0)
                self.assertIn(b"warning:", out)
                self.assertNotIn(ESC, out + err)

    def test_dumb_terminal(self):
        status, out, _ = run_on_tty(self.lint_args(), clean_env(TERM="dumb"))
        self.assertEqual(status, 0)
        self.assertNotIn(ESC, out)

    def test_color_flag(self):
        status, out, _ = run_on_tty(self.lint_args("--color", "never"), clean_env())
        self.assertNotIn(ESC, out)
        proc = run(self.lint_args("--color", "always"))
        self.assertIn(b"\x1b[1;35mwarning:", proc.stdout)
        proc = run(self.lint_args("--color", "always"), env=clean_env(NO_COLOR="1"))
        self.assertIn(ESC, proc.stdout, "an explicit --color always overrides NO_COLOR")
        # Colour changes nothing but the escape codes.
        plain = run(self.lint_args()).stdout
        self.assertEqual(re.sub(rb"\x1b\[[0-9;]*m", b"", proc.stdout), plain)

    def test_colour_only_in_the_text_format(self):
        for fmt in ("json", "github", "sarif"):
            with self.subTest(format=fmt):
                status, out, _ = run_on_tty(self.lint_args("--format", fmt), clean_env())
                self.assertEqual(status, 0)
                self.assertNotIn(ESC, out)

    def test_no_escape_codes_anywhere_off_a_terminal(self):
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "warn.json").write_text(WARNING_POLICY)
            Path(tmp, "error.json").write_text(ERROR_POLICY)
            for args in (["--help"], ["lint", "--help"], ["schema"], ["init"],
                         ["lint", "error.json"], ["gen", "postfix", "warn.json"],
                         ["gen", "qmail", "error.json"], ["gen", "spf", "warn.json"],
                         ["lint", "nothing.json"], ["gen"]):
                with self.subTest(args=args):
                    proc = run(args, cwd=tmp)
                    self.assertNotIn(ESC, proc.stdout + proc.stderr)


class FormatAutoTest(unittest.TestCase):
    def lint(self, env, *extra):
        proc = run(["lint", *extra, str(EXAMPLE)], env=env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout.decode()

    def test_github_under_github_actions(self):
        for extra in ([], ["--format", "auto"]):
            out = self.lint(clean_env(GITHUB_ACTIONS="true"), *extra)
            self.assertTrue(out.startswith("::warning file="), out[:200])
            self.assertTrue(all(line.startswith("::") for line in out.splitlines()))

    def test_text_elsewhere(self):
        for env in (clean_env(), clean_env(GITHUB_ACTIONS="false"),
                    clean_env(GITHUB_ACTIONS="")):
            out = self.lint(env)
            self.assertRegex(out, r"^\S*gmail-relay\.json:\d+:\d+: warning: ")

    def test_explicit_format_wins(self):
        out = self.lint(clean_env(GITHUB_ACTIONS="true"), "--format", "text")
        self.assertRegex(out, r"^\S*gmail-relay\.json:\d+:\d+: warning: ")
        out = self.lint(clean_env(GITHUB_ACTIONS="true"), "--format", "json")
        self.assertIsInstance(json.loads(out), list)

    def test_github_actions_never_colours(self):
        status, out, _ = run_on_tty(["lint", str(EXAMPLE)], clean_env(GITHUB_ACTIONS="true"))
        self.assertEqual(status, 0)
        self.assertTrue(out.startswith(b"::warning"), out[:100])
        self.assertNotIn(ESC, out)


if __name__ == "__main__":
    unittest.main()
