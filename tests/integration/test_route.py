#!/usr/bin/python3
"""mtaroute route: its answers held against the real programs and an independent reading.

For generated policies (a few hundred routed domains: subdomain routes, direct routes under a
relay default, IDN names, IPv4 and host-name relays) and for every example policy, thousands
of recipients (routed domains, their subdomains and parents, addresses, mixed case, a trailing
dot, IDN in Unicode, unrouted domains) are asked in one `route --format json` run, and:

- Postfix: the transport that `gen postfix --out` wrote is compiled with the real postmap;
  every key of Postfix's search order (full address, domain, each `.parent`, `*`) is asked
  with `postmap -q -`; the first key found must be the one route reports, with the same
  value, and none found must mean route reports no transport entry. relayhost is read with
  the real `postconf -c OUT -h relayhost`; route's nexthop must follow from both
  (transport(5): `smtp:` = MX delivery, `:` = no change).
- qmail: `gen qmail --out` smtproutes is looked up with tests/integration/lib/qmail_lookup.py
  (qmail-remote's order, written from its documentation by the qmail engineer, no mtaroute
  code); host, port and line must match route's.
- Both against the policy's meaning (qmail_lookup.expected_relay_name, from the JSON alone):
  the relay (or direct) route names is the one the policy means, except for qmail on a
  trailing dot, which qmail-remote never strips (only the default applies).
Also: lint errors -> exit 1 and diagnostics on stderr; a bad recipient -> exit 2; text output.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib.mtaroute_cli import EXAMPLES, load_policy, run, runnable_copy  # noqa: E402
from lib import qmail_lookup  # noqa: E402

POSTMAP = "/usr/sbin/postmap"
POSTCONF = "/usr/sbin/postconf"
IDN = ["bücher", "münchen", "café", "日本語", "пример"]  # not ß: Python's codec is IDNA 2003


def postfix_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAIL_")}
    env["LANG"] = env["LC_ALL"] = "C"
    return env


def make_policy(rng, routes=120, relay_default=False):
    """A policy both gen postfix and gen qmail accept (IPv4 or host names, no auth/TLS)."""
    relays = {
        "r-name": {"host": "relay.example.net", "port": 587},
        "r-ip": {"host": "192.0.2.25"},
        "r-idn": {"host": "relä.example.org", "port": 2525},
    }
    names = list(relays)
    used, out = set(), []
    for i in range(routes):
        domains = []
        for j in range(rng.randint(1, 3)):
            kind = rng.random()
            if kind < 0.1:
                name = f"{rng.choice(IDN)}{i}-{j}.example"
            elif kind < 0.25:
                name = f"sub{j}.dom{i}.example"  # its parent may be routed elsewhere
            else:
                name = f"dom{i}-{j}.{rng.choice(['com', 'net', 'example', 'co.jp'])}"
            key = qmail_lookup.normalise_domain(name)
            if key not in used:
                used.add(key)
                domains.append(name.upper() if rng.random() < 0.05 else name)
        if not domains:
            continue
        relay = "direct" if rng.random() < 0.2 else rng.choice(names)
        out.append({"domains": domains, "subdomains": rng.random() < 0.5, "relay": relay})
    policy = {"version": 1, "relays": relays, "routes": out}
    if relay_default:
        policy["default"] = "r-ip"
    used_relays = {r["relay"] for r in out} | {policy.get("default", "direct")}
    for name in names:  # an unused relay is a warning only, but keep the policy clean
        if name not in used_relays:
            out.append({"domains": [f"use-{name}.example"], "relay": name})
    return policy


def recipients_for(policy, rng):
    """Recipients that exercise every branch of both lookups."""
    out = ["example.org", "user@example.org", "nowhere.invalid", "a.b.c.d.example"]
    for route in policy["routes"]:
        for name in route["domains"]:
            a = qmail_lookup.normalise_domain(name)
            out += [name, a, f"user@{name}", f"x.{a}", f"a.b.{a}", f"User.Name@Mail.{a}",
                    a.upper(), f"{a}.", f"joe@{a}.", "parent." + a.split(".", 1)[1]]
            if rng.random() < 0.3:
                out.append(f"{name}".upper())
    return out


def postfix_keys(recipient):
    """Postfix's transport search order for a recipient (one trailing dot dropped)."""
    local, at, domain = recipient.rpartition("@")
    domain = qmail_lookup.normalise_domain(domain)  # lower case, one dot dropped, A-labels
    keys = [f"{local.lower()}@{domain}"] if at else []
    keys.append(domain)
    keys += [domain[i:] for i in range(1, len(domain)) if domain[i] == "."]
    keys.append("*")
    return keys


class RouteAgainstRealTables(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mtaroute-route-")
        cls.config = Path(cls.tmp, "postfix-config")
        cls.config.mkdir()
        (cls.config / "main.cf").write_text("")  # postmap -c wants a main.cf; defaults suffice

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def generate(self, workdir, name, env=None):
        out = {}
        for target in ("postfix", "qmail"):
            proc = run(["gen", target, name, "--out", f"out-{target}"], cwd=workdir,
                       env_extra=env)
            out[target] = proc.returncode == 0
            if target == "postfix":
                self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        return out

    def postmap_answers(self, transport, keys):
        """{key: value} for the keys the compiled table has (real postmap, `-q -`)."""
        subprocess.run([POSTMAP, "-c", str(self.config), f"hash:{transport}"], check=True,
                       env=postfix_env())
        proc = subprocess.run([POSTMAP, "-c", str(self.config), "-q", "-", f"hash:{transport}"],
                              input="\n".join(keys).encode() + b"\n", capture_output=True,
                              env=postfix_env())
        self.assertIn(proc.returncode, (0, 1), proc.stderr.decode())
        answers = {}
        for line in proc.stdout.decode().splitlines():
            key, _, value = line.partition("\t")
            answers[key] = value
        return answers

    def relayhost(self, out_dir):
        proc = subprocess.run([POSTCONF, "-c", str(out_dir), "-h", "relayhost"],
                              capture_output=True, env=postfix_env())
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        return proc.stdout.decode().strip()

    def check_policy(self, workdir, name, policy, recipients, env=None, qmail=None):
        generated = self.generate(workdir, name, env)
        if qmail is not None:
            self.assertEqual(generated["qmail"], qmail, "gen qmail accepted the policy")
        started = time.monotonic()
        proc = run(["route", "--format", "json", name, *recipients], cwd=workdir,
                   env_extra=env, timeout=300)
        elapsed = time.monotonic() - started
        self.assertEqual(proc.returncode, 0, proc.stderr.decode()[:2000])
        answers = json.loads(proc.stdout)
        self.assertEqual(len(answers), len(recipients))
        self.check_postfix(Path(workdir, "out-postfix"), recipients, answers)
        if generated["qmail"]:
            smtproutes = Path(workdir, "out-qmail", "smtproutes").read_text()
            self.check_qmail(smtproutes, recipients, answers)
        else:
            for answer in answers:
                self.assertIn("refused", answer["qmail"])
        self.check_meaning(policy, recipients, answers, generated["qmail"])
        return elapsed

    def check_postfix(self, out_dir, recipients, answers):
        all_keys = sorted({k for r in recipients for k in postfix_keys(r)})
        found = self.postmap_answers(out_dir / "transport", all_keys)
        relayhost = self.relayhost(out_dir)
        for recipient, answer in zip(recipients, answers):
            with self.subTest(mta="postfix", recipient=recipient):
                domain = recipient.rpartition("@")[2]
                self.assertEqual(answer["domain"], qmail_lookup.normalise_domain(domain))
                self.assertEqual(answer["trailing_dot"], domain.endswith("."))
                got = answer["postfix"]
                hit = next((k for k in postfix_keys(recipient) if k in found), None)
                entry = got["entry"]
                if hit is None:
                    self.assertTrue(entry is None or entry["file"] == "main.cf", entry)
                    value = ":"  # no entry: what applies without the table
                else:
                    self.assertEqual(entry["file"], "transport")
                    self.assertEqual(entry["key"], hit)
                    self.assertEqual(entry["text"].split(None, 1)[1], found[hit])
                    value = found[hit]
                transport, _, nexthop = value.partition(":")
                if not transport and not nexthop:  # no change: relayhost, else direct
                    nexthop = relayhost
                expected = "relay" if nexthop else "direct"
                self.assertEqual(got["delivery"], expected)
                self.assertEqual(got["nexthop"], nexthop or None)
                self.assertIsNone(got["disagreement"])

    def check_qmail(self, smtproutes, recipients, answers):
        for recipient, answer in zip(recipients, answers):
            with self.subTest(mta="qmail", recipient=recipient):
                got = answer["qmail"]
                domain = answer["domain"] + ("." if answer["trailing_dot"] else "")
                decision = qmail_lookup.qmail_route(smtproutes, domain)
                if decision.key is None:
                    self.assertIsNone(got["entry"])
                else:
                    self.assertEqual(got["entry"]["key"], decision.key)
                    self.assertEqual(got["entry"]["line"], decision.line_number)
                    self.assertEqual(got["entry"]["text"], decision.line)
                dest = decision.destination
                self.assertEqual(got["delivery"], "direct" if dest.direct else "relay")
                if not dest.direct:
                    host, _, port = got["nexthop"].rpartition(":")
                    self.assertEqual(qmail_lookup.parse_relay(got["nexthop"]), dest)
                    self.assertEqual(int(port), dest.port)
                self.assertIsNone(got["disagreement"])

    def check_meaning(self, policy, recipients, answers, qmail):
        for recipient, answer in zip(recipients, answers):
            with self.subTest(meaning=recipient):
                domain = recipient.rpartition("@")[2]
                expected = qmail_lookup.expected_relay_name(policy, domain)
                got = answer["postfix"]
                self.assertEqual(got["relay"] or "direct", expected)
                if qmail:
                    if answer["trailing_dot"]:
                        expected = policy.get("default", "direct")
                    self.assertEqual(answer["qmail"]["relay"] or "direct", expected)

    def test_generated_policies(self):
        rng = random.Random(6)
        total, elapsed = 0, 0.0
        for relay_default in (False, True):
            with self.subTest(relay_default=relay_default), \
                    tempfile.TemporaryDirectory() as workdir:
                policy = make_policy(rng, relay_default=relay_default)
                Path(workdir, "policy.json").write_text(json.dumps(policy, ensure_ascii=False))
                recipients = recipients_for(policy, rng)
                total += len(recipients)
                elapsed += self.check_policy(workdir, "policy.json", policy, recipients,
                                             qmail=True)
        self.assertGreater(total, 3000)
        print(f"\nroute: {total} recipients checked against postmap and qmail_lookup; "
              f"route itself took {elapsed:.2f} s", file=sys.stderr)

    def test_examples(self):
        rng = random.Random(7)
        for example in EXAMPLES:
            with self.subTest(example=example.name), tempfile.TemporaryDirectory() as workdir:
                name, env = runnable_copy(example, workdir)
                policy = load_policy(example)
                self.check_policy(workdir, name, policy, recipients_for(policy, rng), env)


class RouteCli(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="mtaroute-route-cli-")
        self.addCleanup(shutil.rmtree, self.workdir, True)

    def write(self, policy):
        Path(self.workdir, "p.json").write_text(policy)

    def test_lint_errors_exit_1_with_diagnostics(self):
        self.write('{"version": 1, "routes": [{"domains": ["gmail.com"], "relay": "clen"}]}')
        proc = run(["route", "p.json", "gmail.com"], cwd=self.workdir)
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(proc.stdout, b"")
        self.assertIn(b"p.json:1:", proc.stderr)
        self.assertIn(b"[unknown-relay]", proc.stderr)

    def test_bad_recipient_exit_2(self):
        self.write('{"version": 1}')
        proc = run(["route", "p.json", "gmail..com", "example.org"], cwd=self.workdir)
        self.assertEqual(proc.returncode, 2)
        self.assertIn(b'"gmail..com": not an address or domain', proc.stderr)
        self.assertIn(b"example.org\n", proc.stdout)  # the others are still answered

    def test_text_output(self):
        self.write('{\n  "version": 1,\n  "relays": {"r": {"host": "192.0.2.1", "port": 2525}},\n'
                   '  "routes": [{"domains": ["bücher.example"], "subdomains": true,'
                   ' "relay": "r"}]\n}\n')
        proc = run(["route", "p.json", "Jo@Mail.Bücher.example"], cwd=self.workdir)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual(proc.stdout.decode(), (
            "Jo@Mail.Bücher.example (Jo@mail.xn--bcher-kva.example)\n"
            "  postfix: relay \"r\", nexthop [192.0.2.1]:2525\n"
            "    transport:{pl}: .xn--bcher-kva.example smtp:[192.0.2.1]:2525\n"
            "    policy: p.json:4:27: route 1, \"bücher.example\" with subdomains\n"
            "  qmail: relay \"r\", nexthop 192.0.2.1:2525\n"
            "    smtproutes:{ql}: .xn--bcher-kva.example:192.0.2.1:2525\n"
            "    policy: p.json:4:27: route 1, \"bücher.example\" with subdomains\n").format(
                pl=self.line_of("postfix", "transport", ".xn--bcher-kva.example "),
                ql=self.line_of("qmail", "smtproutes", ".xn--bcher-kva.example:")))

    def line_of(self, target, file, start):
        proc = run(["gen", target, "p.json", "--only", file], cwd=self.workdir)
        for number, line in enumerate(proc.stdout.decode().splitlines(), start=1):
            if line.startswith(start):
                return number
        self.fail(f"{start} not in {file}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
