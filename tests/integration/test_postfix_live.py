#!/usr/bin/python3
"""gen postfix's files running in real Postfix instances, with SMTP sinks as the relays.

The test writes a policy whose relays are loopback sinks (tests/integration/lib/smtp_sinks.py)
and a second private Postfix, generates the files with mtaroute, and configures two private
Postfix instances (tests/integration/lib/postfix_instance.py) from them, unchanged:

  origin    transport, sasl_passwd, tls_policy (hash) and the main.cf settings; sends from
            192.0.2.2 (smtp_bind_address; the origin 192.0.2.0/30 of the policy); DNS on.
  relaybox  the relay side: the generated mynetworks file and mynetworks setting, with
            smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination.

Relays of the policy (every one but smarthost and relaybox wants STARTTLS and AUTH before MAIL,
so mail only arrives when the tls_policy and sasl_passwd keys matched the nexthop):
  smarthost     [127.0.0.1]:P   the default (relayhost); plain SMTP
  auth-relay    [127.0.0.1]:P   gmail.test and subdomains; password with ':', ' ' and '#'
  v6-relay      [ipv6:::1]:P    icloud.test; user name with '@'
  mx-relay      relays.mx.test:P with "mx": true (no brackets): found by its MX record
  port25-relay  [127.0.0.4]:25  the default port, written explicitly in every key
  relaybox      [127.0.0.1]:P   chain.test, through the second Postfix to a final sink
  direct        partner.test, intern.test and its subdomains: MX delivery past the relayhost,
                to the sink at 127.0.0.7:25 that their MX records name

The relay side is probed from 192.0.2.2 and fd00:1::2 (origins: relayed), 192.0.2.9 and
fd00:2::2 (not listed: 554 5.7.1 Relay access denied), and ::1 (loopback: relayed).

Everything runs in a private network namespace and mount namespace: only loopback exists (the
test adds the addresses above to it), and
/etc/resolv.conf names an NSD (tests/integration/lib/dns_harness.py) on 127.0.0.1:53 serving
the zone "test.", so the MX lookups are real and nothing reaches a real resolver.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from lib.mtaroute_cli import run  # noqa: E402
import dns_harness  # noqa: E402
from postfix_instance import PostfixInstance, free_port, isolate_network  # noqa: E402
from smtp_sinks import Sink, make_self_signed_cert  # noqa: E402

# Loopback (127.0.0.0/8) is always in the generated mynetworks, so the origin and the stranger
# get addresses of their own on lo, in the private network namespace.
ORIGIN_NET, ORIGIN_IP = "192.0.2.0/30", "192.0.2.2"   # an origin of the policy
STRANGER_IP = "192.0.2.9"                             # not listed
ORIGIN_IP6 = "fd00:1::2"     # inside the origin network fd00:1::/64
STRANGER_IP6 = "fd00:2::2"
MX_HOST, MX_IP = "relays.mx.test", "127.0.0.6"   # the relay found by MX lookup
DIRECT_MX_IP = "127.0.0.7"                       # MX of partner.test and x.intern.test
SENDER = "sender@origin.test"
PASSWORDS = {  # ':' and ' ' must survive sasl_passwd; '#' is no comment inside a value
    "auth-relay": "s3cr:et pass#word",
    "v6-relay": "v6:pass word",
    "mx-relay": "mx: pw",
    "port25-relay": "p25:x y",
}
USERS = {"auth-relay": "mailer", "v6-relay": "v6user@example.test", "mx-relay": "mxuser",
         "port25-relay": "p25user"}
RESOLVER_ENV = "MTAROUTE_PRIVATE_RESOLVER"
ZONE = dns_harness.make_zone("test", [
    "relays.mx\tIN\tMX\t10 mx1.relays.mx.test.",
    f"mx1.relays.mx\tIN\tA\t{MX_IP}",
    "partner\tIN\tMX\t10 mx.partner.test.",
    "x.intern\tIN\tMX\t10 mx.partner.test.",
    f"mx.partner\tIN\tA\t{DIRECT_MX_IP}",
])

# Recipient -> the sink that must receive it, and nothing else.
EXPECTED = {
    "user@gmail.test": "auth-relay",
    "user@a.b.gmail.test": "auth-relay",
    "MixedCase@GMail.TEST": "auth-relay",
    "user@icloud.test": "v6-relay",
    "user@sub.icloud.test": "smarthost",     # icloud.test has no subdomains: the default
    "user@mx.test": "mx-relay",
    "user@port25.test": "port25-relay",
    "user@chain.test": "final",              # origin -> relaybox -> its relayhost
    "user@unrouted.test": "smarthost",
    "user@partner.test": "direct-mx",
    "user@x.intern.test": "direct-mx",
}


def private_resolver():
    """Re-exec in a private mount namespace whose /etc/resolv.conf names 127.0.0.1."""
    if os.environ.get(RESOLVER_ENV) == "1":
        return
    fd, path = tempfile.mkstemp(prefix="mtaroute-resolv-")
    os.write(fd, b"nameserver 127.0.0.1\noptions timeout:1 attempts:2\n")
    os.close(fd)
    os.chmod(path, 0o644)
    env = dict(os.environ, **{RESOLVER_ENV: "1", "MTAROUTE_RESOLV_CONF": path})
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve("/usr/bin/unshare", [
        "/usr/bin/unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
        'mount --bind "$0" /etc/resolv.conf && exec "$@"', path,
        sys.executable, os.path.abspath(sys.argv[0])] + sys.argv[1:], env)


def start_nsd_on_port_53():
    """NSD (run as nobody by the harness) on 127.0.0.1:53 of this network namespace only."""
    with open("/proc/sys/net/ipv4/ip_unprivileged_port_start", "w") as f:
        f.write("53")  # per network namespace: the machine's own setting is untouched
    free_port = dns_harness._free_port
    dns_harness._free_port = lambda host: 53
    try:
        return dns_harness.Nsd({"test": ZONE})
    finally:
        dns_harness._free_port = free_port


def policy_for(ports):
    def relay(host, port, user=None, env=None, **extra):
        out = {"host": host, "port": port, **extra}
        if user:
            out["tls"] = "encrypt"
            out["auth"] = {"username": USERS[user], "password_env": env}
        return out
    return {
        "version": 1,
        "relays": {
            "smarthost": relay("127.0.0.1", ports["smarthost"]),
            "auth-relay": relay("127.0.0.1", ports["auth-relay"], "auth-relay", "PW_AUTH"),
            "v6-relay": relay("::1", ports["v6-relay"], "v6-relay", "PW_V6"),
            "mx-relay": relay(MX_HOST, ports["mx-relay"], "mx-relay", "PW_MX", mx=True),
            "port25-relay": relay("127.0.0.4", 25, "port25-relay", "PW_25"),
            "relaybox": relay("127.0.0.1", ports["relaybox"]),
        },
        "routes": [
            {"domains": ["gmail.test"], "subdomains": True, "relay": "auth-relay",
             "note": "the relay with a password"},
            {"domains": ["icloud.test"], "relay": "v6-relay"},
            {"domains": ["mx.test"], "relay": "mx-relay"},
            {"domains": ["port25.test"], "relay": "port25-relay"},
            {"domains": ["chain.test"], "relay": "relaybox"},
            {"domains": ["partner.test"], "relay": "direct"},
            {"domains": ["intern.test"], "subdomains": True, "relay": "direct"},
        ],
        "default": "smarthost",
        "origins": [{"name": "origin", "networks": [ORIGIN_NET, "fd00:1::/64"]}],
    }


def settings_of(main_cf):
    """name -> value of the `name = value` lines of a generated main.cf."""
    out = {}
    for line in main_cf.splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            out[name.strip()] = value.strip()
    return out


class PostfixLiveTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mtaroute-pflive-")
        cls.started = time.monotonic()
        cls.nsd = start_nsd_on_port_53()
        cert = make_self_signed_cert(cls.tmp, cn="relay.test")
        tls = dict(require_starttls=True, auth_required=True, cert=cert)
        cls.sinks = {
            "smarthost": Sink(hostname="smarthost.test"),
            "auth-relay": Sink(user=USERS["auth-relay"], password=PASSWORDS["auth-relay"],
                               hostname="auth.test", **tls),
            "v6-relay": Sink("::1", user=USERS["v6-relay"], password=PASSWORDS["v6-relay"],
                             hostname="v6.test", **tls),
            "mx-relay": Sink(MX_IP, user=USERS["mx-relay"], password=PASSWORDS["mx-relay"],
                             hostname="mx.test", **tls),
            "port25-relay": Sink("127.0.0.4", 25, user=USERS["port25-relay"],
                                 password=PASSWORDS["port25-relay"], hostname="p25.test", **tls),
            "final": Sink(hostname="final.test"),
            "direct-mx": Sink(DIRECT_MX_IP, 25, hostname="mx.partner.test"),
        }
        for sink in cls.sinks.values():
            sink.start()
        ports = {name: sink.port for name, sink in cls.sinks.items()}
        ports["relaybox"] = free_port()
        cls.policy = Path(cls.tmp) / "live.json"
        cls.policy.write_text(json.dumps(policy_for(ports), indent=2))
        cls.env = {"PW_AUTH": PASSWORDS["auth-relay"], "PW_V6": PASSWORDS["v6-relay"],
                   "PW_MX": PASSWORDS["mx-relay"], "PW_25": PASSWORDS["port25-relay"]}
        cls.relaybox = cls.make_relaybox(ports["relaybox"])
        cls.origin = cls.make_origin()
        cls.relaybox.start()
        cls.origin.start()
        for rcpt in EXPECTED:
            cls.origin.sendmail(SENDER, rcpt, subject="to " + rcpt)

    @classmethod
    def tearDownClass(cls):
        for inst in (getattr(cls, "origin", None), getattr(cls, "relaybox", None)):
            if inst:
                inst.stop()
        for sink in getattr(cls, "sinks", {}).values():
            sink.stop()
        if getattr(cls, "nsd", None):
            cls.nsd.stop()
        print("\nlive test time: %.1fs" % (time.monotonic() - cls.started), file=sys.stderr)
        if os.environ.get("KEEP_TMP"):
            print("kept " + cls.tmp, file=sys.stderr)
        else:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def generate(cls, config_dir, file):
        proc = run(["gen", "postfix", str(cls.policy), "--config-dir", config_dir,
                    "--only", file], env_extra=cls.env)
        if proc.returncode != 0:
            raise AssertionError(f"gen postfix --only {file}: {proc.stderr.decode()}")
        return proc.stdout.decode()

    @classmethod
    def make_origin(cls):
        # DNS on (the harness turns it off): direct and mx routes look up MX records.
        dns = {"smtp_dns_support_level": "enabled", "smtp_host_lookup": "dns"}
        inst = PostfixInstance(cls.tmp, dns, name="origin", bind_address=ORIGIN_IP, ipv6=True)
        for table, mode in (("transport", 0o644), ("sasl_passwd", 0o600), ("tls_policy", 0o644)):
            inst.write_file(table, cls.generate(inst.config_dir, table), mode)
            inst.postmap(table, "hash")
        settings = settings_of(cls.generate(inst.config_dir, "main.cf"))
        cls.origin_settings = settings
        # The relay-side setting goes to relaybox; the origin keeps the harness's loopback.
        inst.postconf_set({k: v for k, v in settings.items() if k != "mynetworks"})
        return inst

    @classmethod
    def make_relaybox(cls, port):
        inst = PostfixInstance(cls.tmp, name="relaybox", smtpd_port=port, ipv6=True,
                               myhostname="relaybox.test")
        inst.write_file("mynetworks", cls.generate(inst.config_dir, "mynetworks"))
        settings = settings_of(cls.generate(inst.config_dir, "main.cf"))
        inst.postconf_set({
            "mynetworks": settings["mynetworks"],
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "relayhost": cls.sinks["final"].nexthop,
        })
        return inst

    def received(self, name, rcpt):
        return self.sinks[name].messages_for(rcpt)

    def wait_all_routed(self):
        for rcpt, sink in EXPECTED.items():
            if sink:
                self.origin.wait_delivered(rcpt, 30)
        self.relaybox.wait_delivered("user@chain.test", 30)

    # ---- origin side -----------------------------------------------------------------------

    def test_1_each_recipient_reaches_its_relay(self):
        self.wait_all_routed()
        for rcpt, sink in EXPECTED.items():
            with self.subTest(rcpt=rcpt):
                got = [name for name in self.sinks if self.received(name, rcpt)]
                self.assertEqual(got, [sink] if sink else [])
                if sink:
                    self.assertEqual(len(self.received(sink, rcpt)), 1)

    def test_2_auth_and_starttls_with_the_right_credentials(self):
        self.wait_all_routed()
        for name in PASSWORDS:
            with self.subTest(relay=name):
                messages = self.sinks[name].messages
                self.assertTrue(messages, name)
                for m in messages:
                    self.assertTrue(m.tls, f"{name}: no STARTTLS")
                    self.assertEqual((m.auth_user, m.auth_password),
                                     (USERS[name], PASSWORDS[name]))
                self.assertTrue(all(a.success for a in self.sinks[name].auth_attempts))
        for name in ("smarthost", "final", "direct-mx"):
            for m in self.sinks[name].messages:
                self.assertEqual((m.tls, m.auth_user), (False, None), name)

    def test_3_source_address_is_the_origin(self):
        self.wait_all_routed()
        for name in ("smarthost", "auth-relay", "mx-relay", "port25-relay", "direct-mx"):
            self.assertEqual({m.peer_ip for m in self.sinks[name].messages}, {ORIGIN_IP}, name)
        self.assertEqual({m.peer_ip for m in self.sinks["v6-relay"].messages}, {"::1"})

    def test_4_direct_and_mx_routes_use_mx_records(self):
        self.wait_all_routed()
        for rcpt, relay in (("user@partner.test", f"mx.partner.test[{DIRECT_MX_IP}]:25"),
                            ("user@x.intern.test", f"mx.partner.test[{DIRECT_MX_IP}]:25"),
                            ("user@mx.test", f"mx1.relays.mx.test[{MX_IP}]:"),
                            ("user@unrouted.test", "127.0.0.1[127.0.0.1]:")):
            with self.subTest(rcpt=rcpt):
                attempts = self.origin.deliveries(rcpt)
                self.assertEqual([d["status"] for d in attempts], ["sent"], attempts)
                self.assertTrue(attempts[0]["relay"].startswith(relay), attempts)
        smarthost = [r.lower() for r in self.sinks["smarthost"].rcpt_attempts]
        self.assertNotIn("user@partner.test", smarthost)
        self.assertNotIn("user@x.intern.test", smarthost)

    def test_5_generated_settings_are_live(self):
        self.assertEqual(self.origin.postconf("relayhost"), self.sinks["smarthost"].nexthop)
        self.assertEqual(self.origin.postconf("transport_maps"),
                         "hash:" + self.origin.path("transport"))
        self.assertEqual(self.origin_settings["smtp_sasl_security_options"], "noanonymous")
        self.assertEqual(os.stat(self.origin.path("sasl_passwd.db")).st_mode & 0o777, 0o600)
        for inst in (self.origin, self.relaybox):
            warnings = [line for line in inst.log().splitlines() if "warning:" in line]
            self.assertEqual(warnings, [], inst.name)

    # ---- relay side --------------------------------------------------------------------------

    def test_6_relay_accepts_the_origin_through_the_chain(self):
        self.relaybox.wait_delivered("user@chain.test", 30)
        self.relaybox.wait_log(r"client=unknown\[192\.0\.2\.2\]", 10)
        self.assertEqual(len(self.received("final", "user@chain.test")), 1)

    def test_7_relay_refuses_unlisted_clients(self):
        for source, host in ((ORIGIN_IP, None), (STRANGER_IP, None), (ORIGIN_IP6, "::1"),
                             (STRANGER_IP6, "::1"), ("::1", "::1")):
            with self.subTest(source=source):
                rcpt = "probe-%s@relayed.test" % source.replace(":", "-")
                refused = self.relaybox.smtp_send(SENDER, rcpt, source_address=source,
                                                  host=host)
                if source in (STRANGER_IP, STRANGER_IP6):
                    code, text = refused[rcpt]
                    self.assertEqual(code, 554, text)
                    self.assertTrue(text.startswith("5.7.1 ") and "Relay access denied" in text,
                                    text)
                else:
                    self.assertEqual(refused, {})
                    self.relaybox.wait_delivered(rcpt, 30)
                    self.assertEqual(len(self.received("final", rcpt)), 1)


def add_loopback_addresses():
    """Addresses for the origin and the stranger, on lo of the private network namespace."""
    for address in (ORIGIN_IP, STRANGER_IP):
        subprocess.run(["ip", "addr", "add", address + "/32", "dev", "lo"], check=True)
    for address in (ORIGIN_IP6, STRANGER_IP6):
        subprocess.run(["ip", "-6", "addr", "add", address + "/128", "dev", "lo", "nodad"],
                       check=True)


if __name__ == "__main__":
    if not isolate_network():
        sys.exit("test_postfix_live: needs root and a private network namespace (unshare)")
    private_resolver()
    os.unlink(os.environ["MTAROUTE_RESOLV_CONF"])  # the bind mount keeps it
    add_loopback_addresses()
    unittest.main(verbosity=2)
