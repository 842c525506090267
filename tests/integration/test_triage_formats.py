"""mtaroute triage on qmail, Exim and Postfix 3.11 logs, and its command-line contract.

The fixtures in tests/triage/ are written in the exact formats of TRIAGE.md: qmail-send
through multilog (TAI64N labels, qmail-remote's '_' and '/' encoding, interleaved and local
deliveries), an Exim mainlog (4.99's " : " and the older ": ", 16- and 23-character ids,
literal "\\n" in multi-line replies) and a Postfix 3.11 log (RFC 3339 stamps, long queue ids,
postfix-out/smtp, tls= between delays= and dsn=, postfix/error, a non-final MX). A real Exim
4.96 writes its own mainlog in test_triage_exim.py.

Also: the formats mixed in one stream, rotated .gz files (and one cut short), exit statuses,
hostile bytes, and that memory stays flat when the log grows twentyfold, when every line
names a new recipient domain, and when qmail delivery numbers never repeat.
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile
import threading
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib.mtaroute_cli import MTAROUTE, SOURCE_DIR, run  # noqa: E402

FIXTURES = SOURCE_DIR / "tests" / "triage"


def triage_json(*args, input_bytes=None):
    proc = run(["triage", "--format", "json", *map(str, args)], input_bytes=input_bytes)
    if proc.returncode != 0:
        raise AssertionError("exit %d: %s" % (proc.returncode, proc.stderr.decode()))
    return json.loads(proc.stdout)


def table(report):
    return {(g["domain"], g["provider"], g["reason"]):
            (g["relay_helps"], g["list"], g["bounced"], g["deferred"], g["sent"])
            for g in report["groups"]}


QMAIL = {
    ("gmail.com", "google", "ip-reputation"): ("yes", None, 1, 0, 1),
    ("yahoo.com", "yahoo", "ip-reputation"): ("yes", None, 0, 1, 0),
    ("icloud.com", "apple", "blocklist-pbl"): ("yes", "Spamhaus PBL", 1, 0, 0),
    ("gmx.de", "gmx", "blocklist"): ("yes", "GMX", 0, 1, 0),
    ("t-online.de", "t-online", "connection"): ("unclear", None, 0, 1, 0),
    ("docomo.ne.jp", "docomo", "ambiguous"): ("unclear", None, 1, 0, 0),
}
EXIM = {
    ("gmail.com", "google", "ip-reputation"): ("yes", None, 1, 0, 1),
    ("outlook.com", "microsoft", "network-block"): ("yes", None, 1, 0, 0),
    ("yahoo.com", "yahoo", "ip-reputation"): ("yes", None, 0, 1, 0),
    ("t-online.de", "t-online", "connection"): ("unclear", None, 0, 1, 0),
    ("mac.com", "apple", "policy"): ("unclear", None, 1, 0, 0),
}
POSTFIX = {
    ("gmail.com", "google", "ip-reputation"): ("yes", None, 1, 0, 1),
    ("googlemail.com", "google", "ip-reputation"): ("yes", None, 1, 0, 0),
    ("gmx.de", "gmx", "blocklist"): ("yes", "GMX", 0, 2, 0),
}


class FormatsTest(unittest.TestCase):
    def test_qmail(self):
        report = triage_json(FIXTURES / "qmail-current")
        self.assertEqual(table(report), QMAIL)
        groups = {g["domain"]: g for g in report["groups"]}
        gmail = groups["gmail.com"]
        self.assertEqual(gmail["hosts"], ["[64.233.188.26]"])
        self.assertEqual(gmail["first"], "2025-11-28T09:00:03Z")  # TAI64N, 10 s offset
        self.assertIn("Remote host said: 550-5.7.1 [203.0.113.5      19] Our system",
                      gmail["sample"])  # '_' decoded
        self.assertEqual(groups["gmx.de"]["hosts"], ["[212.227.15.9]"])
        self.assertEqual(report["summary"]["deliveries"], 7)  # local and unknown ones skipped

    def test_exim(self):
        report = triage_json(FIXTURES / "exim-mainlog")
        self.assertEqual(table(report), EXIM)
        groups = {g["domain"]: g for g in report["groups"]}
        self.assertEqual(groups["gmail.com"]["hosts"],
                         ["gmail-smtp-in.l.google.com[142.250.102.27]"])
        self.assertEqual(groups["gmail.com"]["first"], "2025-11-28T09:00:01")

    def test_postfix_3_11(self):
        report = triage_json(FIXTURES / "postfix-3.11.log")
        self.assertEqual(table(report), POSTFIX)
        groups = {g["domain"]: g for g in report["groups"]}
        self.assertEqual(groups["gmail.com"]["first"], "2026-11-28T10:00:01+09:00")
        self.assertEqual(groups["gmx.de"]["hosts"], ["mx00.emig.gmx.net[212.227.15.9]"])
        self.assertEqual([(n["hosts"], n["reason"], n["deferred"]) for n in report["nonfinal_mx"]],
                         [(["alt1.gmail-smtp-in.l.google.com[142.251.9.27]"], "rate", 1)])

    def test_formats_mixed_rotated_and_on_stdin(self):
        with tempfile.TemporaryDirectory() as tmp:
            rotated = Path(tmp) / "mainlog.1.gz"
            rotated.write_bytes(gzip.compress((FIXTURES / "exim-mainlog").read_bytes()))
            report = triage_json(FIXTURES / "qmail-current", rotated,
                                 FIXTURES / "postfix-3.11.log")
        mixed = b"".join((FIXTURES / name).read_bytes()
                         for name in ("postfix-3.11.log", "qmail-current", "exim-mainlog"))
        stdin = triage_json("-", input_bytes=mixed)
        self.assertEqual(table(report), table(stdin))
        self.assertEqual(report["summary"]["files"], 3)
        merged = table(report)
        gmail = merged[("gmail.com", "google", "ip-reputation")]
        self.assertEqual(gmail[2:], (3, 0, 3))  # one bounce and one success from each log
        self.assertEqual(merged[("yahoo.com", "yahoo", "ip-reputation")][3], 2)

    def test_json_shape(self):
        report = triage_json(FIXTURES / "exim-mainlog")
        self.assertEqual(list(report)[:2], ["groups", "nonfinal_mx"])
        self.assertEqual(list(report["groups"][0])[:12],
                         ["domain", "provider", "reason", "relay_helps", "list", "lists",
                          "bounced", "deferred", "sent", "first", "last", "hosts"])
        self.assertIn("sample", report["groups"][0])
        self.assertEqual(report["proposal"]["relay"], None)  # no --policy
        self.assertEqual(report["proposal"]["routes"][0]["relay"], "RELAY")
        impact = [g["bounced"] + g["deferred"] for g in report["groups"]]
        self.assertEqual(impact, sorted(impact, reverse=True))


class CommandLineTest(unittest.TestCase):
    def test_exit_statuses(self):
        proc = run(["triage", str(FIXTURES / "exim-mainlog"), "/nonexistent/maillog"])
        self.assertEqual(proc.returncode, 2)
        self.assertIn(b"cannot read /nonexistent/maillog", proc.stderr)
        self.assertIn(b"mac.com", proc.stdout)  # the readable log is still reported
        self.assertEqual(run(["triage"]).returncode, 2)
        self.assertEqual(run(["triage", "--format", "xml", "x"]).returncode, 2)
        self.assertEqual(run(["triage", str(FIXTURES)]).returncode, 2)  # a directory
        with tempfile.TemporaryDirectory() as tmp:
            bad = Path(tmp) / "bad.json"
            bad.write_text('{"version": 1, "routes": [{"domains": ["a.example"], '
                           '"relay": "nope"}]}')
            proc = run(["triage", "--policy", str(bad), str(FIXTURES / "exim-mainlog")])
            self.assertEqual(proc.returncode, 1)
            self.assertIn(b"[unknown-relay]", proc.stderr)
            self.assertEqual(proc.stdout, b"")
            fifo = Path(tmp) / "fifo"
            os.mkfifo(fifo)  # no writer: must not hang
            proc = run(["triage", str(fifo)], timeout=20)
            self.assertEqual(proc.returncode, 0)
            self.assertIn(f"mtaroute: warning: {fifo}: no lines read".encode(), proc.stderr)

    def test_hostile_bytes(self):
        line = ("Nov 28 10:00:00 web01 postfix/smtp[1]: ABC123: to=<u@gmail.com>, relay=mx.test"
                "[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.7.1, status=bounced (host "
                "mx.test[192.0.2.1] said: 550 5.7.1 \x1b[31mred\x1b[0m \xff\xfe bad (in reply "
                "to RCPT TO command))\n").encode("latin-1")
        garbage = os.urandom(200000)
        proc = run(["triage", "-"], input_bytes=garbage + b"\n" + line + b"\x00" * 1000)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn(b"\x1b", proc.stdout)
        self.assertIn(b"\\x1b[31mred", proc.stdout)
        proc = run(["triage", "--format", "json", "-"], input_bytes=line)
        report = json.loads(proc.stdout.decode("utf-8"))  # valid UTF-8 and JSON
        self.assertEqual(report["groups"][0]["bounced"], 1)

    def test_memory_does_not_grow_with_the_log(self):
        block = b"".join((FIXTURES / name).read_bytes()
                         for name in ("postfix-3.11.log", "exim-mainlog", "qmail-current"))

        small, _ = self.peak_rss_of_stream([block] * 500)      # 5 MB of log
        large, _ = self.peak_rss_of_stream([block] * 10000)    # 100 MB of log
        self.assertLess(large - small, 2048, (small, large))

    def peak_rss_of_stream(self, chunks):
        """Peak RSS (KiB) and stderr of `triage --format json -` fed the byte chunks."""
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=0"
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen([MTAROUTE, "triage", "--format", "json", "-"],
                                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=err, env=env)

            def feed():
                with proc.stdin:
                    for chunk in chunks:
                        proc.stdin.write(chunk)
            writer = threading.Thread(target=feed)
            writer.start()
            _, status, usage = os.wait4(proc.pid, 0)
            writer.join()
            proc.returncode = os.waitstatus_to_exitcode(status)
            self.assertEqual(proc.returncode, 0)
            err.seek(0)
            return usage.ru_maxrss, err.read().decode()

    def test_memory_bounded_with_ever_new_domains(self):
        # Every line a new recipient domain (sent mail, no group): the per-domain counters stop
        # at Triage::kMaxDomains (100,000), so 400,000 domains cost what 200,000 do.
        def log(domains):
            for start in range(0, domains, 10000):
                yield "".join(
                    f"Nov 28 10:00:00 web01 postfix/smtp[1]: Q{i:X}: to=<u@d{i}.example>, "
                    f"relay=mx.d{i}.example[192.0.2.1]:25, delay=1, delays=0/0/0/1, "
                    f"dsn=2.0.0, status=sent (250 ok)\n"
                    for i in range(start, start + 10000)).encode()
        small, small_err = self.peak_rss_of_stream(log(200000))
        large, large_err = self.peak_rss_of_stream(log(400000))
        self.assertLess(large - small, 4096, (small, large))
        self.assertIn("more than 100000 recipient domains: 300000 deliveries to the others",
                      large_err)

    def test_memory_bounded_with_ever_new_qmail_deliveries(self):
        # "starting delivery N" with ever new N and no result line: the open-delivery table is
        # capped (qmail reuses a few hundred numbers), so 1,000,000 cost what 200,000 do.
        def log(count):
            for start in range(0, count, 10000):
                yield "".join(f"@400000006929649b000003e8 starting delivery {n}: msg 1 to "
                              f"remote user{n}@gmail.com\n"
                              for n in range(start, start + 10000)).encode()
        small, _ = self.peak_rss_of_stream(log(200000))
        large, _ = self.peak_rss_of_stream(log(1000000))
        self.assertLess(large - small, 4096, (small, large))

    def test_truncated_gzip_drops_the_cut_line(self):
        # A rotated .gz cut short (a full disk, a copy interrupted) ends inside a line; that
        # piece of a line must not become a group of its own.
        text = (FIXTURES / "postfix-3.11.log").read_bytes()
        whole = triage_json(FIXTURES / "postfix-3.11.log")
        compressed = gzip.compress(text, mtime=0)
        with tempfile.TemporaryDirectory() as tmp:
            cut = Path(tmp) / "maillog.1.gz"
            cut.write_bytes(compressed[: len(compressed) * 2 // 3])
            proc = run(["triage", "--format", "json", str(cut)])
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn(b"ends in the middle of its compressed data; read what was there but "
                          b"the unfinished last line", proc.stderr)
            report = json.loads(proc.stdout)
            known = {(g["domain"], g["provider"], g["reason"]) for g in whole["groups"]}
            for group in report["groups"]:
                self.assertIn((group["domain"], group["provider"], group["reason"]), known)


if __name__ == "__main__":
    unittest.main(verbosity=2)
