"""Limits hold under attack: hostile policy files get one clear diagnostic, fast, in bounded
memory, from `lint` and from each `gen` target, and never a crash or a hang.

Each case runs the real binary once per command and measures that one child's CPU time,
wall time and peak RSS (os.wait4). Under the sanitizer build (MTAROUTE_SANITIZED=1, set by tests/) the
time and memory bounds are widened: ASan's shadow memory and quarantine cost both.
Cases: 200,000-deep nesting (arrays, objects, unclosed), a 16 MiB string value and key,
a 1 GiB sparse file (refused by its size before any read), endless standard input
(/dev/zero), invalid UTF-8 (bytes, overlong, surrogates, a lone \\ud800 escape), NUL bytes
(raw and escaped into names), a directory, a FIFO without a writer, a character device;
16 MiB of (duplicate) domains with wider bounds; and two formerly quadratic paths (2,000
unknown relay references among 2,000 relays; 5,000 duplicate keys under a parent of 100,000
members).
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib.mtaroute_cli import MTAROUTE, assert_not_crashed  # noqa: E402

SANITIZED = os.environ.get("MTAROUTE_SANITIZED") == "1"
TIME_LIMIT_S = 2.0 * (5 if SANITIZED else 1)
RSS_LIMIT_MB = 800 if SANITIZED else 200
OUTPUT_LIMIT = 256 * 1024  # 500 diagnostics at most (the cap), none echoing the input in full
MIB = 1 << 20

COMMANDS = {
    "lint": ["lint"],
    "gen postfix": ["gen", "postfix"],
    "gen qmail": ["gen", "qmail"],
    "gen spf": ["gen", "spf"],
}


class Measured:
    def __init__(self, args, returncode, stdout, stderr, seconds, cpu_seconds, rss_mb):
        self.args, self.returncode = args, returncode
        self.stdout, self.stderr = stdout, stderr
        self.seconds, self.cpu_seconds, self.rss_mb = seconds, cpu_seconds, rss_mb


def run_measured(args, cwd, stdin=None, timeout=None):
    """Runs mtaroute; returns its status, output, times and its own peak RSS (MiB)."""
    timeout = timeout or 3 * TIME_LIMIT_S + 5
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen([MTAROUTE, *args], cwd=cwd, stdout=out, stderr=err,
                                stdin=stdin if stdin is not None else subprocess.DEVNULL)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if proc.returncode < 0 and seconds >= timeout:
            raise AssertionError(f"{args}: still running after {timeout:.0f} s: killed")
        out.seek(0)
        err.seek(0)
        result = Measured(args, proc.returncode, out.read(), err.read(), seconds,
                          usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
    assert_not_crashed(subprocess.CompletedProcess(args, result.returncode, result.stdout,
                                                   result.stderr), args)
    return result


def write(directory, name, data):
    path = Path(directory) / name
    path.write_bytes(data)
    return path.name


def nested_arrays(directory):
    return write(directory, "deep.json", b"[" * 200_000 + b"]" * 200_000)


def nested_objects(directory):
    return write(directory, "deep.json", b'{"a":' * 200_000 + b"1" + b"}" * 200_000)


def unclosed_nesting(directory):
    return write(directory, "deep.json", b'{"version": 1, "x-a": ' + b"[{\"b\":" * 100_000)


def long_string(directory):
    return write(directory, "big.json", b'{"version": 1, "x-big": "' + b"a" * (16 * MIB) + b'"}')


def long_key(directory):
    return write(directory, "big.json", b'{"version": 1, "' + b"k" * (16 * MIB) + b'": 1}')


def long_domain(directory):
    # Under the 4096-byte string limit, but 16 MiB of such domains in one route.
    domain = b'"' + b"a" * 60 + b'.example"'
    body = b",".join([domain] * (16 * MIB // len(domain)))
    return write(directory, "many.json", b'{"version": 1, "routes": [{"relay": "direct", '
                 b'"domains": [' + body + b"]}]}")


def sparse_gib(directory):
    path = Path(directory) / "huge.json"
    with open(path, "wb") as f:
        f.truncate(1 << 30)  # a 1 GiB hole: refused by its size, never read
    return path.name


def invalid_utf8_bytes(directory):
    return write(directory, "bad.json", b'{"version": 1, "routes": [{"domains": '
                 b'["\xff\xfe.example"], "relay": "direct"}]}')


def overlong_utf8(directory):
    return write(directory, "bad.json", b'{"version": 1, "x-a": "\xc0\xaf\xe0\x80\xaf"}')


def surrogate_utf8(directory):
    return write(directory, "bad.json", b'{"version": 1, "x-a": "\xed\xa0\x80"}')


def lone_surrogate_escape(directory):
    return write(directory, "bad.json", b'{"version": 1, "x-a": "\\ud800"}')


def raw_nul(directory):
    return write(directory, "nul.json", b'{"version": 1,\x00 "routes": []}')


def nul_in_string(directory):
    return write(directory, "nul.json", b'{"version": 1, "routes": [{"domains": ["a\x00b.example"],'
                 b' "relay": "direct"}]}')


def escaped_nul_in_names(directory):
    return write(directory, "nul.json", b'{"version": 1, "relays": {"r": {"host": '
                 b'"relay.example\\u0000.net"}}, "routes": [{"domains": ["gmail.com\\u0000"], '
                 b'"relay": "r"}]}')


def a_directory(directory):
    (Path(directory) / "policy.json").mkdir()
    return "policy.json"


def a_fifo(directory):
    os.mkfifo(Path(directory) / "policy.json")  # no writer: a blocking open would hang
    return "policy.json"


# name -> (make the input, expected exit status, text the diagnostic must contain)
CASES = {
    "200,000-deep arrays": (nested_arrays, 1, "too-deep"),
    "200,000-deep objects": (nested_objects, 1, "too-deep"),
    "unclosed deep nesting": (unclosed_nesting, 1, "too-deep"),
    "16 MiB string": (long_string, 1, "string-too-long"),
    "16 MiB key": (long_key, 1, "string-too-long"),
    "1 GiB sparse file": (sparse_gib, 1, "larger than"),
    "invalid UTF-8": (invalid_utf8_bytes, 1, "json-syntax"),
    "overlong UTF-8": (overlong_utf8, 1, "json-syntax"),
    "UTF-8 surrogate": (surrogate_utf8, 1, "json-syntax"),
    "lone \\ud800 escape": (lone_surrogate_escape, 1, "json-syntax"),
    "raw NUL byte": (raw_nul, 1, "json-syntax"),
    "NUL byte in a string": (nul_in_string, 1, "json-syntax"),
    "escaped NUL in names": (escaped_nul_in_names, 1, "U+0000"),
    "a directory": (a_directory, 2, "is a directory"),
    "a FIFO": (a_fifo, 2, "not a regular file"),
}


# Big inputs of the right shape: every element is decoded, so they get wider (still fixed)
# bounds. 16 MiB of one repeated domain: 240,000 domains, 239,500 diagnostics past the cap.
def errors_at_the_end(directory):
    # 16 MiB of members, then 600 duplicate keys: every diagnostic far from the start (each
    # once counted the lines from the start of the file).
    members = ", ".join(f'"x-{i:07d}": 0' for i in range(16 * 1024 * 1024 // 15))
    duplicates = ", ".join(['"k": 0'] * 600)
    return write(directory, "late.json",
                 f'{{"version": 1, {members}, "x-z": {{{duplicates}}}}}'.encode())


BIG_CASES = {
    "16 MiB of domains": (long_domain, 1, "duplicate-domain"),
    "600 errors at the end of 16 MiB": (errors_at_the_end, 1, "duplicate-key"),
}
BIG_TIME_S = 6.0 * (5 if SANITIZED else 1)
BIG_RSS_MB = 1200 if SANITIZED else 400


def unknown_relays(directory, n=2000):
    # 2,000 relays and 2,000 routes naming unknown relays: 250 KiB.
    relays = ", ".join(f'"relay-{i:05d}": {{"host": "r{i}.example.net"}}' for i in range(n))
    routes = ", ".join(f'{{"domains": ["d{i}.example"], "relay": "unknown-relay-name-{i:05d}"}}'
                       for i in range(n))
    return write(directory, "relays.json",
                 f'{{"version": 1, "relays": {{{relays}}}, "routes": [{routes}]}}'.encode())


def duplicate_keys(directory):
    # 5,000 duplicate keys in an object whose parent has 100,000 members: 1.4 MiB.
    parent = ", ".join(f'"x-{i:06d}": 0' for i in range(100_000))
    duplicates = ", ".join(['"k": 0'] * 5_000)
    return write(directory, "dups.json",
                 f'{{"version": 1, {parent}, "x-z": {{{duplicates}}}}}'.encode())


# Formerly quadratic paths (docs/hardening.md): linear work on a small file that once took
# seconds to minutes. They get the same bounds as every other hostile file.
CASES.update({
    # validate.cc CheckRelayReference: "did you mean" for at most 50 references, 10 relay
    # names in a hint, nothing built past the diagnostics cap.
    "unknown relays": (unknown_relays, 1, "unknown-relay"),
    # document.cc DomBuilder::StackPointer: walked once per open container, not per duplicate.
    "duplicate keys under a big parent": (duplicate_keys, 1, "duplicate-key"),
})


class LimitsTest(unittest.TestCase):
    def check(self, result, status, needle, what, time_limit=TIME_LIMIT_S, rss_limit=RSS_LIMIT_MB):
        output = result.stdout + result.stderr
        text = output.decode("utf-8", "replace")
        self.assertEqual(result.returncode, status, f"{what}: exit status\n{text[-3000:]}")
        if needle:
            self.assertIn(needle, text, f"{what}: diagnostic")
        self.assertTrue(text.strip(), f"{what}: no diagnostic at all")
        self.assertLess(len(output), OUTPUT_LIMIT, f"{what}: {len(output)} bytes of output")
        # CPU time for the bound (CI runs tests in parallel); wall time, more loosely, for
        # what costs no CPU (a blocking open or read).
        self.assertLess(result.cpu_seconds, time_limit,
                        f"{what}: took {result.cpu_seconds:.2f} s of CPU")
        self.assertLess(result.seconds, 3 * time_limit + 5, f"{what}: took {result.seconds:.2f} s")
        self.assertLess(result.rss_mb, rss_limit, f"{what}: peak RSS {result.rss_mb:.0f} MiB")
        print(f"  {what}: exit {result.returncode}, {result.cpu_seconds:.3f} s CPU, "
              f"{result.seconds:.3f} s, "
              f"{result.rss_mb:.0f} MiB", file=sys.stderr)

    def test_hostile_files(self):
        for case, (make, status, needle) in CASES.items():
            for command, args in COMMANDS.items():
                with self.subTest(case=case, command=command), \
                        tempfile.TemporaryDirectory() as workdir:
                    name = make(workdir)
                    result = run_measured([*args, name], cwd=workdir)
                    self.check(result, status, needle, f"{command} / {case}")

    def test_big_files(self):
        for case, (make, status, needle) in BIG_CASES.items():
            for command in ("lint", "gen postfix"):  # the same front end for every target
                args = COMMANDS[command]
                with self.subTest(case=case, command=command), \
                        tempfile.TemporaryDirectory() as workdir:
                    result = run_measured([*args, make(workdir)], cwd=workdir,
                                          timeout=3 * BIG_TIME_S + 5)
                    self.check(result, status, needle, f"{command} / {case}", BIG_TIME_S,
                               BIG_RSS_MB)

    def test_endless_stdin(self):
        # `-` reads standard input: /dev/zero never ends; the size limit stops the read.
        for command, args in COMMANDS.items():
            with self.subTest(command=command), open("/dev/zero", "rb") as zero:
                result = run_measured([*args, "-"], cwd=tempfile.gettempdir(), stdin=zero)
                self.check(result, 1, "larger than", f"{command} / endless stdin")

    def test_character_device(self):
        for command, args in COMMANDS.items():
            with self.subTest(command=command):
                result = run_measured([*args, "/dev/zero"], cwd=tempfile.gettempdir())
                self.check(result, 2, "not a regular file", f"{command} / /dev/zero by name")



def many_domains(directory, n):
    """A policy of n domains in routes of 1,000 (2% IDNs, half with subdomains)."""
    routes = []
    for r in range(max(1, n // 1000)):
        domains = [f"customer{r * 1000 + i:07d}.example" if i % 50 else f"bücher{r * 1000 + i}.example"
                   for i in range(min(1000, n))]
        routes.append({"domains": domains, "subdomains": r % 2 == 0, "relay": "relay-a"})
    policy = {"version": 1, "relays": {"relay-a": {"host": "relay-a.example.net"}},
              "routes": routes}
    return write(directory, f"domains-{n}.json", json.dumps(policy, indent=1).encode())


class DomainsAtScaleTest(unittest.TestCase):
    """Issue 8: route domains are views into the policy text, not heap strings, and the
    transport is written as it is made. Memory is asserted here by its growth (a property
    of the design: the old front end grew by about 14 bytes of RSS per byte of policy);
    speed is measured by scripts/bench.sh, not here."""

    def test_memory_grows_at_most_twice_the_policy(self):
        with tempfile.TemporaryDirectory() as workdir:
            small, large = many_domains(workdir, 50_000), many_domains(workdir, 250_000)
            growth_bytes = (os.path.getsize(os.path.join(workdir, large))
                            - os.path.getsize(os.path.join(workdir, small)))
            for args in (["lint"], ["gen", "postfix", "--only", "transport"],
                         ["gen", "qmail", "--only", "smtproutes"]):
                with self.subTest(command=" ".join(args)):
                    a = run_measured([*args, small], cwd=workdir)
                    b = run_measured([*args, large], cwd=workdir)
                    self.assertEqual((a.returncode, b.returncode), (0, 0), b.stderr)
                    grown = (b.rss_mb - a.rss_mb) * 1024 * 1024
                    # ASan's redzones, shadow and quarantine multiply every allocation.
                    self.assertLessEqual(grown, (8 if SANITIZED else 2) * growth_bytes,
                                         f"{args}: RSS grew {grown / 1e6:.1f} MB for "
                                         f"{growth_bytes / 1e6:.1f} MB more policy")
                    if args[0] == "gen":
                        lines = b.stdout.count(b"\n")
                        self.assertGreater(lines, 250_000 + 125_000)  # domains, .domains

    def test_streamed_output_that_cannot_be_written(self):
        """--only writes as it goes: a full disk is an error (exit 2), not a silent cut."""
        with tempfile.TemporaryDirectory() as workdir:
            policy = many_domains(workdir, 20_000)
            with open("/dev/full", "wb") as full:
                proc = subprocess.run([MTAROUTE, "gen", "postfix", policy, "--only", "transport"],
                                      stdout=full, stderr=subprocess.PIPE, cwd=workdir)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            self.assertIn(b"writing to standard output failed: No space left on device",
                          proc.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
