"""The output oracle (src/oracle/, run through tests/tools/oracle_check) checks what it says.

- It accepts what gen writes for every example and every fuzz seed policy (fuzz/seeds/), for
  every target and every option that changes the files (--table-type, --config-dir, the
  three SPF formats): so the oracle holds on today's emitters.
- It rejects every kind of broken or injected line: each mutation below edits one generated
  file the way a bug or an attacker-controlled policy string would (a `*` key, a foreign
  nexthop, a continuation line, a comment after an entry, CRLF, an open-relay tcp.smtp rule,
  an unbracketed IPv6 network, an SPF term nobody asked for, ...) and must be caught with the
  expected finding. Findings never echo a password.
"""
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib import oracle  # noqa: E402
from lib.mtaroute_cli import EXAMPLES, SOURCE_DIR, TEST_PASSWORD, run, runnable_copy  # noqa: E402

SEEDS = sorted((SOURCE_DIR / "fuzz" / "seeds").glob("*.json"))
VARIANTS = {
    "postfix": [[], ["--table-type", "texthash"], ["--config-dir", "/etc/postfix/mtaroute/"]],
    "qmail": [[]],
    "spf": [["--format", "zone"], ["--format", "txt"], ["--format", "json"]],
}


def oracle_options(target, extra):
    """The oracle_check options that match gen's extra arguments."""
    options = {"target": target}
    for flag, key in (("--table-type", "table_type"), ("--config-dir", "config_dir"),
                      ("--format", "spf_format")):
        if flag in extra:
            options[key] = extra[extra.index(flag) + 1]
    return options


def generate(policy, target, extra, workdir):
    """gen TARGET into workdir/out; returns (policy name, env, proc)."""
    name, env = runnable_copy(policy, workdir)
    proc = run(["gen", target, name, *extra, "--out", "out"], cwd=workdir, env_extra=env)
    return name, env, proc


class OracleAcceptsTest(unittest.TestCase):
    def test_every_policy_target_and_option(self):
        checked = 0
        for policy in [*EXAMPLES, *SEEDS]:
            for target, variants in VARIANTS.items():
                for extra in variants:
                    with self.subTest(policy=policy.name, target=target, extra=extra), \
                            tempfile.TemporaryDirectory() as workdir:
                        name, env, proc = generate(policy, target, extra, workdir)
                        if proc.returncode != 0:
                            self.assertEqual(proc.returncode, 1, proc.stderr.decode())
                            continue  # refused (e.g. gen qmail and an IPv6 relay)
                        oracle.assert_holds(self, name, Path(workdir) / "out", cwd=workdir,
                                            env_extra=env, **oracle_options(target, extra))
                        checked += 1
        self.assertGreater(checked, 30, "too few outputs checked")

    def test_policy_with_errors_is_not_checked(self):
        with tempfile.TemporaryDirectory() as workdir:
            (Path(workdir) / "bad.json").write_text('{"version": 2}')
            (Path(workdir) / "out").mkdir()
            (Path(workdir) / "out" / "transport").write_text("# header\n")
            proc = oracle.check("bad.json", "out", cwd=workdir)
            self.assertEqual(proc.returncode, 2, proc.stdout + proc.stderr)


def append(line):
    return lambda text: text + line


def replace(old, new, count=1):
    def edit(text):
        assert old in text, f"mutation target {old!r} not in the generated file"
        return text.replace(old, new, count)
    return edit


def drop_line(start):
    def edit(text):
        lines = text.splitlines(keepends=True)
        kept = [line for line in lines if not line.startswith(start)]
        assert len(kept) < len(lines), f"no line starts with {start!r}"
        return "".join(kept)
    return edit


def duplicate_line(start):
    def edit(text):
        line = next(line for line in text.splitlines(keepends=True) if line.startswith(start))
        return text + line
    return edit


GMAIL = SOURCE_DIR / "examples" / "gmail-relay.json"
QMAIL = SOURCE_DIR / "examples" / "qmail-relay.json"
NEXTHOP = "[relay.example.net]:587"

# (policy, target, gen options, file, edit, expected text in the finding)
MUTATIONS = {
    "catch-all key": (GMAIL, "postfix", [], "transport",
                      append("* smtp:[attacker.example]:25\n"), "catch-all"),
    "foreign domain": (GMAIL, "postfix", [], "transport",
                       append(f"evil.example smtp:{NEXTHOP}\n"), "not a routed domain"),
    "foreign nexthop": (GMAIL, "postfix", [], "transport",
                        replace(f"smtp:{NEXTHOP}", "smtp:[attacker.example]:587"), "goes to"),
    "MX lookup instead of the relay": (GMAIL, "postfix", [], "transport",
                                       replace(f"smtp:{NEXTHOP}", "smtp:relay.example.net:587"),
                                       "goes to"),
    "continuation line": (GMAIL, "postfix", [], "transport",
                          append(" smtp:[attacker.example]:25\n"), "starts with white space"),
    "comment after an entry": (GMAIL, "postfix", [], "transport",
                               replace(f"smtp:{NEXTHOP}\n", f"smtp:{NEXTHOP} # note\n"),
                               "white space"),
    "missing subdomain key": (GMAIL, "postfix", [], "transport", drop_line(".gmail.com "),
                              "missing"),
    "duplicate key": (GMAIL, "postfix", [], "transport", duplicate_line("gmail.com "), "again"),
    "CRLF": (GMAIL, "postfix", [], "transport", replace("\n", "\r\n", -1), "control character"),
    "no final line feed": (GMAIL, "postfix", [], "transport", lambda t: t[:-1], "line feed"),
    "upper-case key": (GMAIL, "postfix", [], "transport", replace("gmail.com ", "GMAIL.COM "),
                       "lower-case"),
    "relayhost set again": (GMAIL, "postfix", [], "main.cf",
                            append("relayhost = [attacker.example]:25\n"), "twice"),
    "foreign main.cf setting": (GMAIL, "postfix", [], "main.cf",
                                append("smtpd_relay_restrictions = permit\n"),
                                "not one this policy needs"),
    "wrong SASL option": (GMAIL, "postfix", [], "main.cf", replace("= noanonymous", "= noplaintext"),
                          "the policy needs"),
    "wrong password": (GMAIL, "postfix", [], "sasl_passwd", replace(TEST_PASSWORD, "other"),
                       "not the user name and password"),
    "sasl key without port": (GMAIL, "postfix", [], "sasl_passwd",
                              replace(f"{NEXTHOP} ", "[relay.example.net] "), "not the nexthop"),
    "TLS downgrade": (GMAIL, "postfix", [], "tls_policy", replace(" encrypt", " none"),
                      "gets level"),
    "mynetworks open to all": (GMAIL, "postfix", [], "mynetworks", append("0.0.0.0/0\n"),
                               "neither loopback nor inside"),
    "unbracketed IPv6": (GMAIL, "postfix", [], "mynetworks", append("2001:db8:1::/48\n"),
                         "without brackets"),
    "host bits": (GMAIL, "postfix", [], "mynetworks", append("153.122.10.3/28\n"), "host bits"),
    "origin dropped": (GMAIL, "postfix", [], "mynetworks", drop_line("153.122.10."),
                       "not covered"),
    "default route injected": (QMAIL, "qmail", [], "smtproutes",
                               append(":attacker.example:25\n"), "default is \"direct\""),
    "leading space": (QMAIL, "qmail", [], "smtproutes",
                      append(" gmail.com:relay.example.net:2525\n"), "white space"),
    "wrong port": (QMAIL, "qmail", [], "smtproutes",
                   replace("relay.example.net:2525", "relay.example.net:25"), "goes to"),
    "empty port": (QMAIL, "qmail", [], "smtproutes",
                   replace("relay.example.net:2525", "relay.example.net:"), "empty port"),
    "last one wins": (QMAIL, "qmail", [], "smtproutes", append("gmail.com:\n"), "LAST"),
    "open relay": (QMAIL, "qmail", [], "tcp.smtp", append(':allow,RELAYCLIENT=""\n'),
                   "open relay"),
    "foreign clients relay": (QMAIL, "qmail", [], "tcp.smtp", append('10.:allow,RELAYCLIENT=""\n'),
                              "outside loopback and the origins"),
    "CIDR in tcp.smtp": (QMAIL, "qmail", [], "tcp.smtp",
                         append('192.0.2.16/28:allow,RELAYCLIENT=""\n'), "not a tcprules"),
    "extra variable": (QMAIL, "qmail", [], "tcp.smtp",
                       append('203.0.113.7:allow,RELAYCLIENT="",QMAILQUEUE=/bin/sh\n'),
                       "instructions"),
    "origin rule dropped": (QMAIL, "qmail", [], "tcp.smtp", drop_line("198.51.100."),
                            "may not relay"),
    "SPF term injected": (GMAIL, "spf", ["--format", "zone"], "spf.zone",
                          replace('"v=spf1 ', '"v=spf1 ip4:0.0.0.0/0 '),
                          "does not come from the policy"),
    "SPF +all": (GMAIL, "spf", ["--format", "zone"], "spf.zone", replace('~all"', '+all"'),
                 "not the policy's"),
    "SPF include dropped": (GMAIL, "spf", ["--format", "zone"], "spf.zone",
                            replace(" include:_spf.google.com", ""), "lacks the term"),
    "second SPF record": (GMAIL, "spf", ["--format", "zone"], "spf.zone",
                          duplicate_line("example.co.jp. "), "second record"),
    "string over 255 bytes": (GMAIL, "spf", ["--format", "zone"], "spf.zone",
                              replace('~all"', '~all" "' + "a" * 300 + '"'), "at most 255"),
    "term after all": (GMAIL, "spf", ["--format", "txt"], "spf.txt",
                       replace("~all", "~all ip4:0.0.0.0/0"), "does not end with"),
    "wrong lookup count": (GMAIL, "spf", ["--format", "json"], "spf.json",
                           replace('"lookups": ', '"lookups": 1'), "lookups of"),
}


class OracleRejectsTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.workdir)

    def generated(self, policy, target, extra):
        """A fresh workdir with gen's output in out/; returns (workdir, name, env)."""
        workdir = tempfile.mkdtemp(dir=self.workdir)
        name, env, proc = generate(policy, target, extra, workdir)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        options = oracle_options(target, extra)
        oracle.assert_holds(self, name, Path(workdir) / "out", cwd=workdir, env_extra=env,
                            **options)
        return workdir, name, env, options

    def test_mutations_are_caught(self):
        for case, (policy, target, extra, file, edit, needle) in MUTATIONS.items():
            with self.subTest(case=case):
                workdir, name, env, options = self.generated(policy, target, extra)
                path = Path(workdir) / "out" / file
                path.write_text(edit(path.read_text()))
                proc = oracle.check(name, Path(workdir) / "out", cwd=workdir, env_extra=env,
                                    **options)
                self.assertEqual(proc.returncode, 1, f"{case}: not caught\n{proc.stdout}")
                self.assertIn(needle, proc.stdout, f"{case}: finding")
                self.assertNotIn(TEST_PASSWORD, proc.stdout + proc.stderr, "password echoed")

    def test_file_set(self):
        workdir, name, env, options = self.generated(GMAIL, "postfix", [])
        out = Path(workdir) / "out"
        shutil.copy(out / "transport", out / "transport.bak")
        (out / "mynetworks").unlink()
        proc = oracle.check(name, out, cwd=workdir, env_extra=env, **options)
        self.assertEqual(proc.returncode, 1, proc.stdout)
        self.assertIn("transport.bak: no oracle reader", proc.stdout)
        self.assertIn("mynetworks: the policy needs this file", proc.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
