"""The generated tcp.smtp, compiled by the real tcprules and queried with tcprulescheck, lets
exactly the origins relay.

For the IPv4 origins of every example (through gen qmail itself when it accepts the example,
else through a policy written here with the example's IPv4 origins alone), for edge cases, and
for 200 random networks from /8 to /32 (fixed seed) in one policy: tcprules compiles the file
(exit 0), and `TCPREMOTEIP=ip tcprulescheck cdb` sets RELAYCLIENT for the first, a middle and
the last address of every network, and for a random sample of addresses exactly when one of
the networks (or loopback, which tcp.smtp always lists) holds them, the addresses just outside
each network included. Every client is allowed to connect. All addresses of one file are
checked by one shell running tcprulescheck for each, so the whole test takes seconds.
"""
import ipaddress
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib import oracle  # noqa: E402
from lib.mtaroute_cli import EXAMPLES, load_policy, run  # noqa: E402

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
SEED = 20240611
RELAY_LINE = 'set environment variable RELAYCLIENT=\n'

EDGE_NETWORKS = ["0.0.0.0/8", "255.255.255.255", "126.255.255.255", "128.0.0.0/9",
                 "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                 "198.18.0.0/15", "203.0.113.128/25", "203.0.113.0/31", "192.0.2.255",
                 "192.0.2.64/26", "11.22.33.0/24", "11.22.32.0/24", "11.22.34.0/23"]


def ipv4_networks(policy):
    return [ipaddress.ip_network(n) for origin in policy.get("origins", [])
            for n in origin["networks"] if ":" not in n]


def origins_policy(networks, per_origin=50):
    """A policy with these networks as origins (in groups) and nothing else."""
    texts = [str(n) if n.prefixlen < 32 else str(n.network_address) for n in networks]
    origins = [{"name": f"o{i // per_origin}", "networks": texts[i:i + per_origin]}
               for i in range(0, len(texts), per_origin)]
    return {"version": 1, "origins": origins}


def probe_addresses(networks, rng, samples):
    """First, middle and last of each network, the neighbours outside it, random others."""
    out = set()
    for net in networks:
        first, last = int(net.network_address), int(net.broadcast_address)
        out.update({first, (first + last) // 2, last})
        out.update(a for a in (first - 1, last + 1) if 0 <= a < 2 ** 32)
    out.update(rng.randrange(2 ** 32) for _ in range(samples))
    return sorted(ipaddress.IPv4Address(a) for a in out)


class TcpRules:
    """One tcp.smtp compiled by the real tcprules, queried by the real tcprulescheck."""

    def __init__(self, text, workdir):
        self.workdir = Path(workdir)
        source = self.workdir / "tcp.smtp"
        source.write_text(text)
        self.cdb = self.workdir / "tcp.smtp.cdb"
        with source.open("rb") as stdin:
            self.compile = subprocess.run(
                ["tcprules", str(self.cdb), str(self.workdir / "tcp.smtp.tmp")], stdin=stdin,
                capture_output=True, timeout=60)

    def check(self, addresses):
        """{address: tcprulescheck output} from one shell for all addresses."""
        script = self.workdir / "check.sh"
        script.write_text("".join(
            f'echo "@@ {a}"; TCPREMOTEIP={a} tcprulescheck "$1" || echo "@@ FAILED $?"\n'
            for a in addresses))
        env = {k: v for k, v in os.environ.items()
               if k not in ("TCPREMOTEHOST", "TCPREMOTEINFO")}
        proc = subprocess.run(["sh", str(script), str(self.cdb)], capture_output=True,
                              timeout=300, env=env, text=True)
        if proc.returncode != 0 or "@@ FAILED" in proc.stdout:
            raise AssertionError(f"tcprulescheck failed: {proc.stderr}{proc.stdout[-2000:]}")
        results = {}
        for block in proc.stdout.split("@@ ")[1:]:
            address, _, output = block.partition("\n")
            results[ipaddress.IPv4Address(address)] = output
        return results


class TcprulesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for program in ("tcprules", "tcprulescheck"):
            if shutil.which(program) is None:  # required in CI: a failure, never a skip
                raise AssertionError(f"{program} not found: install ucspi-tcp")

    def generate(self, policy, workdir, name="policy.json"):
        path = Path(workdir) / name
        path.write_text(json.dumps(policy), encoding="utf-8")
        proc = run(["gen", "qmail", name, "--only", "tcp.smtp"], cwd=workdir)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        # The project's output oracle agrees too (every rule from an origin, none missing).
        out = run(["gen", "qmail", name, "--out", "out"], cwd=workdir)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        oracle.assert_holds(self, name, Path(workdir) / "out", cwd=workdir)
        return proc.stdout.decode()

    def assert_exact(self, text, networks, addresses, workdir, label):
        """tcprules compiles text; exactly the addresses in networks or loopback may relay."""
        for line in text.split("\n"):
            if line and not line.startswith("#"):
                self.assertNotRegex(line, r"[\s/#]", f"{label}: {line!r}")
        self.assertTrue(text.endswith("\n:allow\n"), label)
        rules = TcpRules(text, workdir)
        self.assertEqual(rules.compile.returncode, 0,
                         f"{label}: tcprules: {rules.compile.stderr.decode()}")
        results = rules.check(addresses)
        self.assertEqual(len(results), len(addresses))
        wrong = []
        for address, output in results.items():
            expected = address in LOOPBACK or any(address in n for n in networks)
            if (RELAY_LINE in output) != expected or "allow connection" not in output:
                wrong.append(f"{address}: expected relay={expected}, got: {output!r}")
        self.assertEqual(wrong[:10], [], f"{label}: {len(wrong)} wrong of {len(results)}")
        return len(results)

    def test_examples(self):
        rng = random.Random(SEED)
        tested = 0
        for example in EXAMPLES:
            policy = load_policy(example)
            networks = ipv4_networks(policy)
            if not networks:
                continue
            with self.subTest(example=example.name), tempfile.TemporaryDirectory() as workdir:
                proc = run(["gen", "qmail", example.name, "--only", "tcp.smtp"],
                           cwd=example.parent)
                if proc.returncode == 0:
                    text = proc.stdout.decode()
                else:  # refused for its routes or IPv6: its IPv4 origins alone
                    text = self.generate(origins_policy(networks), workdir)
                self.assert_exact(text, networks, probe_addresses(networks, rng, 50), workdir,
                                  example.name)
                tested += 1
        self.assertGreaterEqual(tested, 5)

    def test_edge_networks(self):
        networks = [ipaddress.ip_network(n) for n in EDGE_NETWORKS]
        with tempfile.TemporaryDirectory() as workdir:
            text = self.generate(origins_policy(networks, per_origin=5), workdir)
            addresses = probe_addresses(networks, random.Random(SEED), 100)
            addresses += [ipaddress.IPv4Address(a) for a in ("127.0.0.1", "127.255.255.255")]
            self.assert_exact(text, networks, sorted(set(addresses)), workdir, "edge")

    def test_random_networks_match_exactly(self):
        rng = random.Random(SEED)
        networks = []
        for _ in range(200):
            prefix = rng.randint(8, 32)
            address = rng.randrange(2 ** 32) & ~((1 << (32 - prefix)) - 1) & 0xFFFFFFFF
            networks.append(ipaddress.ip_network((address, prefix)))
        with tempfile.TemporaryDirectory() as workdir:
            text = self.generate(origins_policy(networks), workdir)
            checked = self.assert_exact(text, networks, probe_addresses(networks, rng, 300),
                                        workdir, "random")
        self.assertGreater(checked, 1000)


if __name__ == "__main__":
    unittest.main(verbosity=2)
