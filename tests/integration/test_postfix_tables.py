#!/usr/bin/python3
"""gen postfix on every example policy, checked with the real postmap and postconf.

For each example and each table type (hash, lmdb, cdb, texthash):
  * gen postfix --out OUT --config-dir CONF/mtaroute --table-type T, then the printed install
    steps are run as printed, in a CONF whose main.cf is the one Debian's postinst builds
    (main.cf.debian and main.cf.tls): `mkdir`, `install`, `postmap`, `postconf -e` (postmap
    and postconf with -c CONF; `postfix reload` skipped). Debian's main.cf.dist takes the
    postconf steps alone (postmap refuses it: its setgid_group is empty).
    Every command must print nothing on stderr; then `postconf -c CONF -n` prints no warning
    (no unknown parameter, no overridden entry).
  * Each table that main.cf names is queried through the map main.cf names (`postmap -q -`),
    and Postfix's search order is applied to the answers: for a.b.gmail.com the keys
    a.b.gmail.com, .b.gmail.com, .gmail.com, .com. The expected answer for every routed
    domain, a subdomain of it, a mixed-case spelling, `*` and an unrouted domain is computed
    here from the policy JSON alone (nexthop spelling from FORMATS.md), not from mtaroute.
  * sasl_passwd and tls_policy answer the relay's nexthop key; relayhost is that nexthop too.
mynetworks holds loopback and the origins (canonical, none inside another, IPv6 bracketed).
Secrets: the password never shows on stdout or in --check diffs, --only sasl_passwd shows it,
sasl_passwd and its compiled map are mode 0600. Layout rules: no `*` key, lower-case keys,
each once, no comment on an entry line, no line starting with white space.
A canary proves that postmap's warnings do reach the captured stderr.
"""
import ipaddress
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib.mtaroute_cli import (EXAMPLES, MTAROUTE, TEST_PASSWORD, load_policy, run,  # noqa: E402
                              runnable_copy)

POSTMAP = "/usr/sbin/postmap"
POSTCONF = "/usr/sbin/postconf"
SHARE = Path("/usr/share/postfix")
TYPES = ["hash", "btree", "lmdb", "cdb", "texthash"]
MAP_SETTINGS = {"transport_maps": "transport", "smtp_sasl_password_maps": "sasl_passwd",
                "smtp_tls_policy_maps": "tls_policy"}
COMPILED = {"hash": ".db", "btree": ".db", "lmdb": ".lmdb", "cdb": ".cdb"}
TABLES = "mtaroute"  # --config-dir CONF/mtaroute: a directory the install steps must create


def postfix_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAIL_")}
    env["LANG"] = env["LC_ALL"] = "C"
    return env


def backdate(path):
    """Postfix waits up to 2s while main.cf, master.cf or a texthash table has an mtime in the
    current second ("may still be written"); on a server they are older than that."""
    t = os.stat(path).st_mtime - 3
    os.utime(path, (t, t))


def run_tool(argv, stdin=None):
    proc = subprocess.run(argv, input=stdin, capture_output=True, env=postfix_env(), cwd="/",
                          timeout=60)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


# ---- the expected routing, from the policy JSON alone --------------------------------------

def canonical_name(name):
    name = name[:-1] if name.endswith(".") else name
    return name.lower().encode("idna").decode("ascii")


def nexthop(relay):
    host, port = relay["host"], relay.get("port", 25)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        host = canonical_name(host)
        return f"{host}:{port}" if relay.get("mx") else f"[{host}]:{port}"
    if address.version == 6:
        return f"[ipv6:{address.compressed}]:{port}"
    return f"[{address}]:{port}"


def transport_value(policy, relay_name):
    return "smtp:" if relay_name == "direct" else "smtp:" + nexthop(policy["relays"][relay_name])


def expected_transport(policy, name):
    """The transport value for recipient domain `name`, or None (no entry: the default)."""
    routes = {}
    for route in policy.get("routes", []):
        for domain in route["domains"]:
            routes[canonical_name(domain)] = route
    name = name.lower()
    if name in routes:
        return transport_value(policy, routes[name]["relay"])
    labels = name.split(".")
    for i in range(1, len(labels)):
        parent = routes.get(".".join(labels[i:]))
        if parent and parent.get("subdomains"):
            return transport_value(policy, parent["relay"])
    return None


def used_relays(policy):
    names = {route["relay"] for route in policy.get("routes", [])}
    names.add(policy.get("default", "direct"))
    return {name: relay for name, relay in policy.get("relays", {}).items() if name in names}


def expected_mynetworks(policy):
    """Loopback and every origin network, canonical, none inside another, IPv6 bracketed."""
    nets = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]
    for origin in policy.get("origins", []):
        nets += [ipaddress.ip_network(n) for n in origin["networks"]]
    kept = []
    for i, net in enumerate(nets):
        inside = [o for j, o in enumerate(nets) if o.version == net.version and
                  net.subnet_of(o) and (o != net or j < i)]
        if not inside:
            kept.append(net)
    return sorted(f"[{n.network_address}]/{n.prefixlen}" if n.version == 6 else str(n)
                  for n in kept)


def search_keys(name):
    """The keys Postfix tries for a recipient domain (FORMATS.md), most specific first."""
    labels = name.split(".")
    return [name] + ["." + ".".join(labels[i:]) for i in range(1, len(labels))]


def mixed_case(name):
    return "".join(c.upper() if i % 2 == 0 else c for i, c in enumerate(name))


def query_names(policy):
    names = {"not-routed.invalid", "example", "*"}
    for route in policy.get("routes", []):
        for domain in route["domains"]:
            d = canonical_name(domain)
            names.update({d, "a.b." + d, "sub." + d, mixed_case(d), mixed_case("x.y." + d)})
    return sorted(names)


# ---- the test --------------------------------------------------------------------------------

class PostfixTablesTest(unittest.TestCase):
    def test_canary_postmap_warnings_reach_stderr(self):
        with tempfile.TemporaryDirectory() as tmp:
            conf = Path(tmp)
            (conf / "main.cf").write_text("")
            (conf / "dup").write_text("a b\na c\n")
            rc, _, err = run_tool([POSTMAP, "-c", str(conf), f"hash:{conf}/dup"])
            self.assertEqual(rc, 0)
            self.assertIn('duplicate entry: "a"', err)

    def test_examples_with_every_table_type(self):
        self.assertTrue(EXAMPLES)
        for example in EXAMPLES:
            policy = load_policy(example)
            for table_type in TYPES:
                with self.subTest(example=example.name, type=table_type), \
                        tempfile.TemporaryDirectory() as tmp:
                    self.check_install(example, policy, table_type, Path(tmp))

    def test_settings_merge_into_main_cf_dist(self):
        """main.cf.dist is no working main.cf (setgid_group and friends are empty until
        post-install fills them, so postmap refuses it): only the postconf steps run here."""
        for example in EXAMPLES:
            policy = load_policy(example)
            with self.subTest(example=example.name), tempfile.TemporaryDirectory() as tmp:
                tmp = Path(tmp)
                conf = self.write_base_config(tmp, "main.cf.dist")
                stdout = self.generate(example, tmp, conf, "hash")
                self.run_install_steps(stdout, tmp, conf, only=("postconf",))
                self.check_settings(policy, conf, "hash")

    def write_base_config(self, tmp, base):
        conf = tmp / "conf"
        conf.mkdir()
        if base == "main.cf.dist":
            main_cf = (SHARE / "main.cf.dist").read_text()
        else:  # what Debian's postinst starts a new main.cf from
            main_cf = (SHARE / "main.cf.debian").read_text() + (SHARE / "main.cf.tls").read_text()
        (conf / "main.cf").write_text(main_cf)
        backdate(conf / "main.cf")
        shutil.copy(SHARE / "master.cf.dist", conf / "master.cf")
        backdate(conf / "master.cf")
        return conf

    def generate(self, example, tmp, conf, table_type):
        name, env = runnable_copy(example, tmp)
        proc = run(["gen", "postfix", name, "--out", "out", "--config-dir", str(conf / TABLES),
                    "--table-type", table_type], cwd=tmp, env_extra=env)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        return proc.stdout.decode()

    def check_settings(self, policy, conf, table_type):
        """postconf -n warns about nothing; returns the map of each table main.cf names."""
        rc, out, err = run_tool([POSTCONF, "-c", str(conf), "-n"])
        self.assertEqual((rc, err), (0, ""), "postconf -n warns")
        settings = dict(line.split(" = ", 1) if " = " in line else (line.rstrip(" ="), "")
                        for line in out.splitlines())
        maps = {file: settings[key] for key, file in MAP_SETTINGS.items() if key in settings}
        self.assertEqual(maps["transport"], f"{table_type}:{conf}/{TABLES}/transport")
        default = policy.get("default", "direct")
        expected_relayhost = "" if default == "direct" else nexthop(policy["relays"][default])
        self.assertEqual(settings.get("relayhost"), expected_relayhost)
        if policy.get("origins"):
            self.assertEqual(settings.get("mynetworks"), f"{conf}/{TABLES}/mynetworks")
        return maps

    def check_install(self, example, policy, table_type, tmp):
        self.policy = policy
        conf = self.write_base_config(tmp, "debian")
        stdout = self.generate(example, tmp, conf, table_type)
        self.run_install_steps(stdout, tmp, conf)
        maps = self.check_settings(policy, conf, table_type)
        self.check_transport(policy, conf, maps["transport"])
        self.check_relay_tables(policy, conf, maps, table_type)
        self.check_layout(tmp / "out")

    def run_install_steps(self, stdout, tmp, conf,
                          only=("mkdir", "install", "postmap", "postconf")):
        lines = stdout.splitlines()
        self.assertTrue(lines[0].startswith("out: wrote transport, main.cf"), lines[0])
        for line in lines[1:]:
            if not line or line.startswith("#"):
                continue
            argv = shlex.split(line)
            if argv == ["postfix", "reload"]:
                continue  # no Postfix runs here; test_postfix_live.py reloads a real one
            self.assertIn(argv[0], ("mkdir", "install", "postmap", "postconf"), line)
            if argv[0] not in only:
                continue
            if argv[0] in ("postmap", "postconf"):
                argv = [f"/usr/sbin/{argv[0]}", "-c", str(conf)] + argv[1:]
            proc = subprocess.run(argv, cwd=tmp, capture_output=True, env=postfix_env(),
                                  timeout=60)
            self.assertEqual((proc.returncode, proc.stderr.decode()), (0, ""), line)
            for path in [*conf.iterdir(), *conf.glob(TABLES + "/*")]:
                backdate(path)

    def query(self, conf, spec, keys):
        rc, out, err = run_tool([POSTMAP, "-c", str(conf), "-q", "-", spec],
                                stdin="\n".join(keys).encode() + b"\n")
        self.assertEqual(err, "", spec)
        self.assertIn(rc, (0, 1), spec)
        return dict(line.split("\t", 1) for line in out.splitlines())

    def check_transport(self, policy, conf, spec):
        names = query_names(policy)
        keys = sorted({key for name in names for key in search_keys(name)})
        answers = self.query(conf, spec, keys)
        for name in names:
            found = next((answers[k] for k in search_keys(name) if k in answers), None)
            self.assertEqual(found, expected_transport(policy, name), f"{spec}: {name}")

    def check_relay_tables(self, policy, conf, maps, table_type):
        relays = used_relays(policy)
        auth = {nexthop(r): f"{r['auth']['username']}:{TEST_PASSWORD}"
                for r in relays.values() if "auth" in r}
        tls = {nexthop(r): r["tls"] for r in relays.values() if "tls" in r}
        for file, expected in (("sasl_passwd", auth), ("tls_policy", tls)):
            self.assertEqual(file in maps, bool(expected), file)
            if not expected:
                self.assertFalse((conf / TABLES / file).exists(), file)
                continue
            keys = list(expected) + [k.upper() for k in expected] + ["[unknown.invalid]:25"]
            answers = self.query(conf, maps[file], keys)
            wanted = {**expected, **{k.upper(): v for k, v in expected.items()}}
            self.assertEqual(answers, wanted, file)
        if auth:
            self.assertEqual(os.stat(conf / TABLES / "sasl_passwd").st_mode & 0o777, 0o600)
            if table_type in COMPILED:
                compiled = conf / TABLES / ("sasl_passwd" + COMPILED[table_type])
                self.assertEqual(os.stat(compiled).st_mode & 0o777, 0o600, compiled)

    def check_layout(self, out):
        for path in sorted(out.iterdir()):
            if path.name == "main.cf":
                continue
            keys = []
            for line in path.read_text().splitlines():
                self.assertFalse(line[:1].isspace(), f"{path.name}: continuation: {line!r}")
                if not line or line.startswith("#"):
                    continue
                self.assertNotIn("#", line, f"{path.name}: comment on an entry line")
                keys.append(line.split(" ", 1)[0])
            self.assertEqual(len(keys), len(set(keys)), f"{path.name}: a key twice")
            if path.name == "mynetworks":
                self.assertEqual(sorted(keys), expected_mynetworks(self.policy), "mynetworks")
            if path.name == "transport":
                self.assertNotIn("*", keys)
                self.assertEqual(keys, [k.lower() for k in keys])

    def test_secrets(self):
        example = next(e for e in EXAMPLES if e.name == "gmail-relay.json")
        with tempfile.TemporaryDirectory() as tmp:
            name, env = runnable_copy(example, tmp)
            shown = run(["gen", "postfix", name], cwd=tmp, env_extra=env)
            self.assertEqual(shown.returncode, 0, shown.stderr)
            self.assertNotIn(TEST_PASSWORD.encode(), shown.stdout)
            self.assertIn(b"[relay.example.net]:587 mailer:********\n", shown.stdout)
            only = run(["gen", "postfix", name, "--only", "sasl_passwd"], cwd=tmp, env_extra=env)
            self.assertIn(f"[relay.example.net]:587 mailer:{TEST_PASSWORD}\n".encode(),
                          only.stdout)
            written = run(["gen", "postfix", name, "--out", "out"], cwd=tmp, env_extra=env)
            self.assertEqual(written.returncode, 0, written.stderr)
            self.assertNotIn(TEST_PASSWORD.encode(), written.stdout + written.stderr)
            secret = Path(tmp) / "out" / "sasl_passwd"
            self.assertEqual(secret.stat().st_mode & 0o777, 0o600)
            self.assertEqual(secret.read_bytes(), only.stdout)
            # A drifted deployed file: the diff shows the change, never a password.
            secret.write_text(only.stdout.decode().replace("mailer:", "other:"))
            check = run(["gen", "postfix", name, "--out", "out", "--check"], cwd=tmp,
                        env_extra=env)
            self.assertEqual(check.returncode, 1, check.stderr)
            self.assertIn(b"-[relay.example.net]:587 other:********", check.stdout)
            self.assertNotIn(TEST_PASSWORD.encode(), check.stdout)
            self.assertNotIn(b"golden", check.stdout)

    def test_unreadable_secrets(self):
        # Each way the secret can be missing or bad: exit 1, the relay and the policy location
        # named, and nothing written; a password file readable by others is a warning only.
        policy = {"version": 1,
                  "relays": {"envrelay": {"host": "relay.example.net", "port": 587,
                                          "tls": "encrypt",
                                          "auth": {"username": "mailer",
                                                   "password_env": "RELAY_PW"}},
                             "filerelay": {"host": "relay2.example.net", "port": 587,
                                           "tls": "encrypt",
                                           "auth": {"username": "mailer",
                                                    "password_file": "pw"}}},
                  "routes": [{"domains": ["gmail.com"], "relay": "envrelay"},
                             {"domains": ["me.com"], "relay": "filerelay"}]}
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "p.json").write_text(json.dumps(policy, indent=1))
            pw = Path(tmp, "pw")
            cases = [
                # (password file content or None, RELAY_PW or None, expected stderr parts)
                (None, "x", ['error: cannot read the password of relay "filerelay" from "pw": '
                             'No such file or directory [secret-unreadable]']),
                ("ok\n", None, ['error: environment variable RELAY_PW (password of relay '
                                 '"envrelay") is not set [secret-unreadable]']),
                ("two\nlines\n", "x", ['error: the password of relay "filerelay" contains a '
                                        'line break or control character [bad-secret]']),
            ]
            for content, variable, expected in cases:
                with self.subTest(content=content, variable=variable):
                    pw.unlink(missing_ok=True)
                    if content is not None:
                        pw.write_text(content)
                        pw.chmod(0o600)
                    env = {} if variable is None else {"RELAY_PW": variable}
                    env_unset = dict(os.environ)
                    env_unset.pop("RELAY_PW", None)
                    proc = subprocess.run([MTAROUTE, "gen", "postfix", "p.json", "--out", "out"],
                                          cwd=tmp, env={**env_unset, **env},
                                          capture_output=True, timeout=60)
                    stderr = proc.stderr.decode()
                    self.assertEqual(proc.returncode, 1, stderr)
                    for part in expected:
                        self.assertIn(part, stderr)
                    self.assertRegex(stderr, r"^p\.json:\d+:\d+: error: ")
                    self.assertFalse(Path(tmp, "out").exists(), "written despite the error")
            pw.write_text("fine\n")
            pw.chmod(0o644)
            proc = run(["gen", "postfix", "p.json", "--out", "out"], cwd=tmp,
                       env_extra={"RELAY_PW": "x"})
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn(b'password file "pw" of relay "filerelay" is readable by others '
                          b'(mode 0644) [secret-file-mode]', proc.stderr)
            self.assertEqual(Path(tmp, "out", "sasl_passwd").stat().st_mode & 0o777, 0o600)


if __name__ == "__main__":
    unittest.main(verbosity=2)
