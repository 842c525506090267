"""mtaroute triage on logs a real Postfix wrote.

A private Postfix instance (tests/integration/lib) delivers, by a transport table, to loopback
sinks that answer with the providers' real rejection texts: Gmail's multi-line 550-5.7.1
reputation reply, Microsoft's S3150, Yahoo's TSS04 421, Apple's Spamhaus PBL reject, GMX's
554 greeting, Gmail's 5.7.26 SPF/DKIM reject (a relay cannot fix it: advice, no route), a
server that drops the connection after EHLO (a raw socket), and a non-final
MX's soft error before a final reject (a nexthop list). Postfix writes its own maillog_file;
triage must classify every delivery line of it as expected, and count exactly what an
independent reading of the log counts. Then the same log rewritten with RFC 3339 stamps and
Postfix 3.11's tls= fields (Postfix 3.7 writes neither), compressed, and on standard input,
must give the same groups. Finally the "is it working" view: gmail.com is then sent through a
relay sink, and triage --policy reports the relay working since the last failure; and the
proposal for the other domains, merged into a policy, lints clean and, through gen postfix,
routes them to the relay (postmap -q on the generated transport).
"""
import gzip
import json
import os
import re
import socket
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from lib.mtaroute_cli import SOURCE_DIR, load_policy, run  # noqa: E402
from postfix_instance import PostfixInstance, isolate_network  # noqa: E402
from smtp_sinks import Sink  # noqa: E402

GMAIL = ("550-5.7.1 [127.0.0.1      19] Our system has detected that this message is\n"
         "550-5.7.1 likely suspicious due to the very low reputation of the sending IP\n"
         "550-5.7.1 address. To best protect our users from spam, the message has been\n"
         "550-5.7.1 blocked. Please visit\n"
         "550 5.7.1  https://support.google.com/mail/answer/188131 for more information. "
         "si{n}-20020a17090{n}.45 - gsmtp")
GMAIL_RATE = ("450-4.7.28 [127.0.0.1] Our system has detected an unusual rate of\n"
              "450 4.7.28 unsolicited mail originating from your IP address. x1 - gsmtp")
MICROSOFT = ("550 5.7.1 Unfortunately, messages from [127.0.0.1] weren't sent. Please contact "
             "your Internet service provider since part of their network is on our block list "
             "(S3150). You can also refer your provider to http://mail.live.com/mail/"
             "troubleshooting.aspx#errors. [AM0EUR02FT012.eop-EUR02.prod.protection.outlook.com "
             "2026-11-28T10:00:00.000Z 08DDF1A2B3C4D5E6]")
YAHOO = ("421 4.7.0 [TSS04] Messages from 127.0.0.1 temporarily deferred due to unexpected "
         "volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes")
APPLE_PBL = ("550 5.7.1 Mail from IP 127.0.0.1 was rejected due to listing in Spamhaus PBL. "
             "For details please see http://www.spamhaus.org/query/bl?ip=127.0.0.1")
GMX_GREETING = ("554-gmx.net (mxgmx117) Nemesis ESMTP Service not available\n"
                "554-No SMTP service\n554-IP address is black listed.\n"
                "554 For explanation visit https://postmaster.gmx.net/en/case?c=bip&i=ip&"
                "v=127.0.0.1&r=1MxAbc-1a2b3c")
# Keyed to the domain, not the IP: a relay does not help (the text Gmail sends; AOL mail is
# Yahoo's, whose provider the domain tells).
UNAUTHENTICATED = ("550-5.7.26 This mail is unauthenticated, which poses a security risk to the\n"
                   "550-5.7.26 sender and Gmail users, and has been blocked. The sender must\n"
                   "550-5.7.26 authenticate with at least one of SPF or DKIM. For this message,\n"
                   "550 5.7.26 DKIM checks did not pass. x2 - gsmtp")

# domain -> (provider, reason, relay_helps, list, status of its deliveries)
EXPECTED = {
    "gmail.com": ("google", "ip-reputation", "yes", None, "bounced"),
    "googlemail.com": ("google", "ip-reputation", "yes", None, "bounced"),
    "outlook.com": ("microsoft", "network-block", "yes", None, "bounced"),
    "yahoo.com": ("yahoo", "ip-reputation", "yes", None, "deferred"),
    "icloud.com": ("apple", "blocklist-pbl", "yes", "Spamhaus PBL", "bounced"),
    "gmx.de": ("gmx", "blocklist", "yes", "GMX", "deferred"),
    "t-online.de": ("t-online", "connection", "unclear", None, "deferred"),
    "aol.com": ("yahoo", "authentication", "no", None, "bounced"),
}
DELIVERY = re.compile(r"postfix/\S+/(?:smtp|error)\[\d+\]: [0-9A-Za-z]+: to=<[^@>]+@([^>]+)>, "
                      r"relay=([^,]+), .*status=(\w+) \((.*)\)$")


class Dropper:
    """An SMTP server that greets, reads EHLO and closes: Postfix logs a lost connection."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.nexthop = "[127.0.0.1]:%d" % self.port
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"220 mx00.t-online.de ESMTP\r\n")
                conn.settimeout(5)
                try:
                    conn.recv(1000)
                except OSError:
                    pass

    def close(self):
        self.sock.close()


def counts_from_log(text):
    """Independent reading: {(domain, status): n} of delivery lines that reached a host."""
    counts = {}
    for line in text.splitlines():
        m = DELIVERY.search(line)
        if m and "look up host" not in m.group(4) and "not found" not in m.group(4):
            key = (m.group(1).lower(), m.group(3))
            counts[key] = counts.get(key, 0) + 1
    return counts


def triage(args, **kwargs):
    proc = run(["triage", *args], **kwargs)
    if proc.returncode != 0:
        raise AssertionError("triage %r: exit %d\n%s" % (args, proc.returncode,
                                                         proc.stderr.decode()))
    return proc


def triage_json(args, **kwargs):
    return json.loads(triage(["--format", "json", *args], **kwargs).stdout)


def essence(report):
    """What must not change when only the log's spelling changes."""
    return sorted((g["domain"], g["provider"], g["reason"], g["relay_helps"], g["list"],
                   g["bounced"], g["deferred"], g["sent"]) for g in report["groups"])


class TriagePostfixTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mtaroute-triage-")
        cls.dir = Path(cls.tmp.name)
        cls.maillog = cls.dir / "maillog"
        cls.relay_port = None
        cls._deliver()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def _deliver(cls):
        dropper = Dropper()
        try:
            with Sink(rcpt_reply=GMAIL.format(n=123)) as gmail, \
                    Sink(rcpt_reply=GMAIL_RATE) as soft, \
                    Sink(rcpt_reply=GMAIL.format(n=456)) as gmail2, \
                    Sink(rcpt_reply=MICROSOFT) as outlook, \
                    Sink(mail_reply=YAHOO) as yahoo, \
                    Sink(rcpt_reply=APPLE_PBL) as apple, \
                    Sink(greeting=GMX_GREETING) as gmx, \
                    Sink(rcpt_reply=UNAUTHENTICATED) as aol, \
                    Sink(hostname="relay.test") as relay, \
                    Sink(hostname="ok.test") as ok:
                cls.relay_port = relay.port
                routes = {
                    "gmail.com": gmail.nexthop,
                    "googlemail.com": "%s, %s" % (soft.nexthop, gmail2.nexthop),
                    "outlook.com": outlook.nexthop, "yahoo.com": yahoo.nexthop,
                    "icloud.com": apple.nexthop, "gmx.de": gmx.nexthop, "aol.com": aol.nexthop,
                    "t-online.de": dropper.nexthop, "me.com": relay.nexthop,
                    "example.org": ok.nexthop, "origin.test": ok.nexthop,  # DSNs too
                }
                cls._run_postfix(routes, relay)
        finally:
            dropper.close()

    @classmethod
    def _run_postfix(cls, routes, relay):
        transport = "".join("%s smtp:%s\n" % kv for kv in routes.items())
        pf = PostfixInstance(str(cls.dir), {"transport_maps": "hash:$config_directory/transport"},
                             {"transport": {"content": transport, "postmap": "hash"}},
                             name="triage")
        with pf:
            for domain in EXPECTED:
                pf.sendmail("sender@origin.test", "user@" + domain, subject="to " + domain)
            pf.sendmail("sender@origin.test", "user@example.org")
            pf.sendmail("sender@origin.test", "user@me.com")
            for domain, (_, _, _, _, status) in EXPECTED.items():
                pf.wait_delivered("user@" + domain, 30, status=status)
            pf.wait_delivered("user@example.org", 30)
            pf.wait_delivered("user@me.com", 30)
            # The fix: gmail.com now goes through the relay, and it works.
            routes["gmail.com"] = relay.nexthop
            pf.write_file("transport", "".join("%s smtp:%s\n" % kv for kv in routes.items()))
            pf.postmap("transport")
            pf.reload()
            time.sleep(1.5)  # let the reloaded smtp processes pick up the new table
            pf.sendmail("sender@origin.test", "again@gmail.com", subject="through the relay")
            pf.wait_delivered("again@gmail.com", 30)
            relay.wait_for(2, 20)
        cls.log_text = pf.log()
        cls.maillog.write_text(cls.log_text)

    def test_every_delivery_line_is_classified(self):
        report = triage_json([str(self.maillog)])
        groups = {g["domain"]: g for g in report["groups"]}
        self.assertEqual(set(groups), set(EXPECTED), report["groups"])
        self.assertEqual(len(report["groups"]), len(EXPECTED), "one group per domain here")
        logged = counts_from_log(self.log_text)
        for domain, (provider, reason, helps, blocklist, status) in EXPECTED.items():
            with self.subTest(domain=domain):
                g = groups[domain]
                self.assertEqual((g["provider"], g["reason"], g["relay_helps"], g["list"]),
                                 (provider, reason, helps, blocklist), g)
                self.assertEqual(g["bounced"], logged.get((domain, "bounced"), 0))
                self.assertEqual(g["deferred"], logged.get((domain, "deferred"), 0))
                self.assertGreaterEqual(g[status], 1)
                self.assertEqual(g["hosts"], ["127.0.0.1[127.0.0.1]"])
                self.assertTrue(g["first"] and g["last"] and g["first"] <= g["last"], g)
                self.assertIn(g["sample"][:40], self.log_text)
        self.assertEqual(groups["gmail.com"]["sent"], 1)  # through the relay, afterwards
        self.assertIn("si123-20020a17090123.45 - gsmtp", groups["gmail.com"]["sample"])
        self.assertIn("refused to talk to me: 554-gmx.net", groups["gmx.de"]["sample"])
        self.assertIn("lost connection with", groups["t-online.de"]["sample"])
        nonfinal = report["nonfinal_mx"]
        self.assertEqual([(n["provider"], n["reason"], n["deferred"]) for n in nonfinal],
                         [("google", "rate", 1)], nonfinal)
        total = sum(n for (d, s), n in logged.items() if s != "sent")
        self.assertEqual(report["summary"]["failed"], total + 1)  # + the non-final line
        self.assertEqual(report["summary"]["sent"],
                         sum(n for (d, s), n in logged.items() if s == "sent"))

    def test_what_a_relay_cannot_fix_gets_advice_instead(self):
        report = triage_json(["--policy", str(SOURCE_DIR / "tests" / "triage" / "policy.json"),
                              str(self.maillog)])
        group = next(g for g in report["groups"] if g["domain"] == "aol.com")
        self.assertEqual(group["relay_helps"], "no")
        self.assertIn("a relay does not help", group["advice"])
        self.assertIn("SPF", group["advice"])
        self.assertIn("DKIM", group["advice"])
        self.assertFalse(group["policy"]["proposed"])
        self.assertNotIn("aol.com", [d for r in report["proposal"]["routes"]
                                     for d in r["domains"]])
        text = triage(["--policy", str(SOURCE_DIR / "tests" / "triage" / "policy.json"),
                       str(self.maillog)]).stdout.decode()
        self.assertIn("a relay does not help", text)

    def test_text_output_sorted_by_impact(self):
        out = triage([str(self.maillog)]).stdout.decode()
        counts = [int(m.group(1)) + int(m.group(2)) for m in
                  re.finditer(r"^ +(\d+) bounced +(\d+) deferred", out, re.M)]
        self.assertEqual(len(counts), len(EXPECTED), out)
        self.assertEqual(counts, sorted(counts, reverse=True), out)
        self.assertIn("Proposed routes", out)
        self.assertIn("Soft errors from non-final MX hosts", out)

    def test_rewritten_variants_give_the_same_groups(self):
        base = essence(triage_json([str(self.maillog)]))
        rfc3339 = re.sub(r"^(\w{3}) +(\d+) (\d\d:\d\d:\d\d) ",
                         lambda m: "2026-%02d-%02dT%s.123456+09:00 " % (
                             time.strptime(m.group(1), "%b").tm_mon, int(m.group(2)),
                             m.group(3)),
                         self.log_text, flags=re.M)
        with_tls = re.sub(r"(delays=[\d./]+), dsn=",
                          r"\1, tls=TLSv1.3:TLS_AES_256_GCM_SHA384:256/none, dsn=",
                          self.log_text)
        both = re.sub(r"(delays=[\d./]+), dsn=", r"\1, tls=none, dsn=", rfc3339)
        self.assertNotEqual(rfc3339, self.log_text)
        self.assertIn("tls=", with_tls)
        for name, text in (("rfc3339", rfc3339), ("tls", with_tls), ("both", both)):
            with self.subTest(variant=name):
                path = self.dir / ("maillog." + name)
                path.write_text(text)
                report = triage_json([str(path)])
                self.assertEqual(essence(report), base)
                if name != "tls":
                    first = report["groups"][0]["first"]
                    self.assertTrue(first.startswith("2026-") and first.endswith("+09:00"),
                                    first)
        gz = self.dir / "maillog.1.gz"
        gz.write_bytes(gzip.compress(self.log_text.encode()))
        self.assertEqual(essence(triage_json([str(gz)])), base)
        stdin = triage_json(["-"], input_bytes=gzip.compress(self.log_text.encode()))
        self.assertEqual(essence(stdin), base)

    def policy_file(self, routes):
        policy = {"version": 1,
                  "relays": {"clean-relay": {"host": "127.0.0.1", "port": self.relay_port}},
                  "routes": routes}
        path = self.dir / "policy.json"
        path.write_text(json.dumps(policy, indent=2))
        return path

    def test_policy_shows_the_relay_working(self):
        path = self.policy_file([
            {"domains": ["gmail.com"], "relay": "clean-relay"},
            {"domains": ["me.com"], "relay": "clean-relay"},
            {"domains": ["t-online.de"], "relay": "direct"},
        ])
        report = triage_json(["--policy", str(path), str(self.maillog)])
        groups = {g["domain"]: g for g in report["groups"]}
        gmail = groups["gmail.com"]["policy"]
        self.assertEqual((gmail["by"], gmail["relay"], gmail["sent_via_relay"],
                          gmail["sent_via_relay_since_last_failure"], gmail["proposed"]),
                         ("routes[0]", "clean-relay", 1, 1, False), gmail)
        self.assertIn("working", gmail["status"])
        self.assertEqual(groups["t-online.de"]["policy"]["by"], "routes[2]")
        proposed = {d for r in report["proposal"]["routes"] for d in r["domains"]}
        self.assertEqual(proposed, {"googlemail.com", "outlook.com", "yahoo.com", "icloud.com",
                                    "gmx.de"})
        text = triage(["--policy", str(path), str(self.maillog)]).stdout.decode()
        self.assertIn("routed through clean-relay by routes[0]: working, 1 sent", text)

    def test_proposal_lints_clean_and_routes_through_the_relay(self):
        example = load_policy(SOURCE_DIR / "tests" / "triage" / "policy.json")
        path = self.dir / "before.json"
        path.write_text(json.dumps(example, indent=2))
        report = triage_json(["--policy", str(path), str(self.maillog)])
        proposal = report["proposal"]
        self.assertEqual(proposal["relay"], "clean-relay")
        proposed = {d: r for r in proposal["routes"] for d in r["domains"]}
        # me.com is routed already; partner-style direct routes, t-online's connection
        # failures (a relay may not help) and aol.com's SPF/DKIM failure get no route.
        self.assertEqual(set(proposed), {"gmail.com", "googlemail.com", "outlook.com",
                                         "yahoo.com", "icloud.com", "gmx.de"})
        merged = dict(example)
        merged["routes"] = example["routes"] + proposal["routes"]
        after = self.dir / "after.json"
        after.write_text(json.dumps(merged, indent=2))
        lint = run(["lint", str(after)])
        self.assertEqual(lint.returncode, 0, lint.stdout.decode() + lint.stderr.decode())
        self.assertEqual(lint.stdout.decode().strip(), "", "lint clean: no diagnostics")
        out = self.dir / "gen"
        gen = run(["gen", "postfix", str(after), "--out", str(out)])
        self.assertEqual(gen.returncode, 0, gen.stderr.decode())
        pf = PostfixInstance(str(self.dir), name="check")  # never started: postmap only
        pf.write_file("transport", (out / "transport").read_text())
        pf.postmap("transport")
        for domain in proposed:
            with self.subTest(domain=domain):
                self.assertEqual(pf.postmap_query("transport", domain),
                                 "smtp:[relay.example.net]:587")
        self.assertEqual(pf.postmap_query("transport", "t-online.de"), None)
        # Once added, the same log proposes nothing more for those domains.
        again = triage_json(["--policy", str(after), str(self.maillog)])
        self.assertEqual(again["proposal"]["routes"], [])


def main():
    isolate_network()
    if os.geteuid() != 0:
        print("test_triage_postfix: needs root (private Postfix instances)", file=sys.stderr)
        return 1
    result = unittest.main(exit=False, verbosity=2).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
