"""mtaroute triage on a mainlog that a real Exim wrote.

Debian's exim4-daemon-light cannot be installed next to postfix (both are the
mail-transport-agent), so scripts/install-deps.sh unpacks its .deb into
/var/cache/mtaroute-tests/exim and the test runs that binary with a private configuration
(-C): spool and log in a temporary directory, one manualroute router sending each recipient
domain to a loopback sink that answers with a provider's real rejection text, and every
message delivered in the foreground (-odf). Nothing listens but the sinks; no DNS is used.

Then triage must classify every delivery Exim logged (its `**` bounces and `==` deferrals,
multi-line replies with Exim's literal "\\n"), count the `=>` deliveries as sent, and agree
with an independent count of the mainlog's lines.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib.mtaroute_cli import run  # noqa: E402
from lib.postfix_instance import isolate_network  # noqa: E402
from lib.smtp_sinks import Sink  # noqa: E402

EXIM = Path(os.environ.get("MTAROUTE_EXIM", "/var/cache/mtaroute-tests/exim/usr/sbin/exim4"))

GMAIL = ("550-5.7.1 [127.0.0.1      19] Our system has detected that this message is\n"
         "550-5.7.1 likely suspicious due to the very low reputation of the sending IP\n"
         "550-5.7.1 address. To best protect our users from spam, the message has been\n"
         "550 5.7.1 blocked. https://support.google.com/mail/answer/188131 si12 - gsmtp")
MICROSOFT = ("550 5.7.1 Unfortunately, messages from [127.0.0.1] weren't sent. Please contact "
             "your Internet service provider since part of their network is on our block list "
             "(S3150). You can also refer your provider to http://mail.live.com/mail/"
             "troubleshooting.aspx#errors. [AM0EUR02FT012.eop-EUR02.prod.protection.outlook.com]")
YAHOO = ("421 4.7.0 [TSS04] Messages from 127.0.0.1 temporarily deferred due to unexpected "
         "volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes")

# domain -> (provider, reason, relay_helps, bounced, deferred)
EXPECTED = {
    "gmail.com": ("google", "ip-reputation", "yes", 1, 0),
    "outlook.com": ("microsoft", "network-block", "yes", 1, 0),
    "yahoo.com": ("yahoo", "ip-reputation", "yes", 0, 1),
}

CONFIG = """\
exim_path = {exim}
primary_hostname = web01.test
qualify_domain = origin.test
spool_directory = {dir}/spool
log_file_path = {dir}/log/%slog
keep_environment =
begin routers
to_sinks:
  driver = manualroute
  route_list = {routes}
  transport = remote_smtp
  self = send
begin transports
remote_smtp:
  driver = smtp
  allow_localhost
begin retry
* * F,1h,1h
"""


class TriageEximTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not EXIM.is_file():
            raise AssertionError(f"{EXIM} missing: run scripts/install-deps.sh test")
        cls.tmp = tempfile.TemporaryDirectory(prefix="mtaroute-exim-")
        d = Path(cls.tmp.name)
        os.chmod(d, 0o755)
        for sub in ("spool", "log"):
            (d / sub).mkdir()
            shutil.chown(d / sub, "Debian-exim", "Debian-exim")
        with Sink(rcpt_reply=GMAIL) as gmail, Sink(mail_reply=MICROSOFT) as outlook, \
                Sink(mail_reply=YAHOO) as yahoo, Sink(hostname="ok.test") as ok:
            sinks = {"gmail.com": gmail, "outlook.com": outlook, "yahoo.com": yahoo,
                     "example.org": ok}
            routes = " ; ".join(f"{domain} 127.0.0.1::{sink.port} byname"
                                for domain, sink in sinks.items())
            config = d / "exim.conf"
            config.write_text(CONFIG.format(exim=EXIM, dir=d, routes=routes))
            config.chmod(0o644)
            for domain in [*EXPECTED, "example.org", "example.org"]:
                proc = subprocess.run(
                    [str(EXIM), "-C", str(config), "-odf", "-oi", "-f", "sender@origin.test",
                     f"user@{domain}"],
                    input=f"Subject: to {domain}\n\nhello\n".encode(), capture_output=True,
                    timeout=60)
                if proc.returncode != 0:
                    raise AssertionError(f"exim for {domain}: exit {proc.returncode}\n"
                                         f"{proc.stderr.decode()}")
            ok.wait_for(2, 30)
        cls.mainlog = d / "log" / "mainlog"
        cls.text = cls.mainlog.read_text()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_exim_wrote_what_triage_reads(self):
        # Exim's own marks, as TRIAGE.md describes them: ** bounce, == deferral, => delivery.
        self.assertRegex(self.text, r"(?m)^\S+ \S+ \S+ \*\* user@gmail\.com R=to_sinks "
                                    r"T=remote_smtp H=127\.0\.0\.1 \[127\.0\.0\.1\]")
        self.assertRegex(self.text, r"(?m) == user@yahoo\.com R=to_sinks T=remote_smtp defer ")
        self.assertEqual(len(re.findall(r"(?m) => user@example\.org ", self.text)), 2)
        self.assertIn("\\n550-5.7.1", self.text, "multi-line reply with a literal \\n")

    def test_every_delivery_is_classified(self):
        proc = run(["triage", "--format", "json", str(self.mainlog)])
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        report = json.loads(proc.stdout)
        groups = {g["domain"]: g for g in report["groups"]}
        self.assertEqual(set(groups), set(EXPECTED), report["groups"])
        for domain, (provider, reason, helps, bounced, deferred) in EXPECTED.items():
            with self.subTest(domain=domain):
                g = groups[domain]
                self.assertEqual((g["provider"], g["reason"], g["relay_helps"]),
                                 (provider, reason, helps))
                self.assertEqual((g["bounced"], g["deferred"]), (bounced, deferred))
                self.assertEqual(g["hosts"], ["127.0.0.1[127.0.0.1]"])
        # Independent count of Exim's lines: each remote (H=) ** and == is a failure, each =>
        # a success. The bounce messages to sender@origin.test fail locally ("Unrouteable
        # address", no host): no remote delivery, not counted.
        self.assertIn("** sender@origin.test: Unrouteable address", self.text)
        remote = r"(?m)^\S+ \S+ \S+ {} \S+ R=\S+ T=\S+ .*H=\S+ \["
        bounces = len(re.findall(remote.format(r"\*\*"), self.text))
        deferrals = len(re.findall(remote.format("=="), self.text))
        deliveries = len(re.findall(remote.format("=>"), self.text))
        self.assertEqual((bounces, deferrals, deliveries), (2, 1, 2))
        summary = report["summary"]
        self.assertEqual(summary["deliveries"], bounces + deferrals + deliveries, summary)
        self.assertEqual(summary["sent"], deliveries)

    def test_proposal_for_the_rejecting_domains(self):
        policy = Path(self.tmp.name) / "policy.json"
        policy.write_text(json.dumps({
            "version": 1,
            "relays": {"clean-relay": {"host": "relay.example.net", "port": 587}},
            "routes": [{"domains": ["partner.example"], "relay": "clean-relay"}]}))
        proc = run(["triage", "--format", "json", "--policy", str(policy), str(self.mainlog)])
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        proposal = json.loads(proc.stdout)["proposal"]
        proposed = {d for r in proposal["routes"] for d in r["domains"]}
        self.assertEqual(proposed, set(EXPECTED))


def main():
    isolate_network()
    if os.geteuid() != 0:
        print("test_triage_exim: needs root (Exim's spool belongs to Debian-exim)",
              file=sys.stderr)
        return 1
    result = unittest.main(exit=False, verbosity=2).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
