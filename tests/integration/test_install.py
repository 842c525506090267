"""Installing mtaroute: `DESTDIR=... cmake --install` puts the binary, the man page, bash and
zsh completion and the JSON Schema in the usual places, and the installed binary runs; the
man page renders cleanly (man -l, groff -ww) and covers every command and option; the
completions complete commands, options and their values and name every option --help shows;
`cpack` builds a Debian package whose control data and contents are right, with the
dependencies dpkg-shlibdeps computed. Nothing is installed on this machine's system.

Needs: cmake (cpack), man-db, groff-base, dpkg-dev, bash, zsh.
"""
import gzip
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib.mtaroute_cli import MTAROUTE, SOURCE_DIR  # noqa: E402
from test_cli_basics import COMMANDS  # noqa: E402

BUILD_DIR = Path(MTAROUTE).resolve().parent
PREFIX = "usr"  # as in the Debian package
MAN = f"{PREFIX}/share/man/man1/mtaroute.1.gz"
BASH = f"{PREFIX}/share/bash-completion/completions/mtaroute"
ZSH = f"{PREFIX}/share/zsh/vendor-completions/_mtaroute"
SCHEMA = f"{PREFIX}/share/mtaroute/policy.schema.json"
FILES = {  # path under DESTDIR: mode
    f"{PREFIX}/bin/mtaroute": 0o755,
    MAN: 0o644,
    BASH: 0o644,
    ZSH: 0o644,
    SCHEMA: 0o644,
    f"{PREFIX}/share/doc/mtaroute/copyright": 0o644,
    f"{PREFIX}/share/doc/mtaroute/README.md": 0o644,
    f"{PREFIX}/share/doc/mtaroute/ci.md": 0o644,
    f"{PREFIX}/share/doc/mtaroute/editors.md": 0o644,
}
OPTIONS = sorted({o for opts in COMMANDS.values() for o in opts if o.startswith("--")})
SUBCOMMANDS = sorted({word for path in COMMANDS for word in path})


def check_run(args, **kwargs):
    proc = subprocess.run(args, capture_output=True, timeout=600, **kwargs)
    if proc.returncode != 0:
        raise AssertionError(f"{args} exited {proc.returncode}:\n"
                             f"{proc.stdout.decode(errors='replace')[-3000:]}\n"
                             f"{proc.stderr.decode(errors='replace')[-3000:]}")
    return proc


def project_version():
    cmake = (SOURCE_DIR / "CMakeLists.txt").read_text()
    return re.search(r"project\(mtaroute VERSION (\d+\.\d+\.\d+)", cmake).group(1)


class InstallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.stage = Path(cls.tmp.name) / "stage"
        env = dict(os.environ, DESTDIR=str(cls.stage))
        check_run(["cmake", "--install", str(BUILD_DIR), "--prefix", "/usr"], env=env)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_layout(self):
        for path, mode in FILES.items():
            with self.subTest(path=path):
                full = self.stage / path
                self.assertTrue(full.is_file(), f"{path} not installed")
                self.assertEqual(full.stat().st_mode & 0o777, mode)
        self.assertEqual((self.stage / BASH).read_bytes(),
                         (SOURCE_DIR / "completions" / "mtaroute.bash").read_bytes())
        self.assertEqual((self.stage / ZSH).read_bytes(),
                         (SOURCE_DIR / "completions" / "_mtaroute").read_bytes())
        self.assertEqual((self.stage / f"{PREFIX}/share/doc/mtaroute/copyright").read_bytes(),
                         (SOURCE_DIR / "LICENSE").read_bytes())
        everything = [p.relative_to(self.stage).as_posix() for p in self.stage.rglob("*")
                      if not p.is_dir()]
        self.assertEqual(sorted(everything), sorted(FILES), "nothing else is installed")

    def test_installed_binary_runs(self):
        binary = str(self.stage / PREFIX / "bin" / "mtaroute")
        proc = check_run([binary, "--version"])
        self.assertEqual(proc.stdout.decode(), f"mtaroute {project_version()}\n")
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copy(SOURCE_DIR / "examples" / "qmail-relay.json", tmp)
            proc = subprocess.run([binary, "lint", "--format", "text", "qmail-relay.json"],
                                  cwd=tmp, capture_output=True, timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
            self.assertNotIn(b"error:", proc.stdout)
            proc = check_run([binary, "gen", "qmail", "qmail-relay.json", "--only",
                              "smtproutes"], cwd=tmp)
            self.assertIn(b"gmail.com:relay.example.net:2525", proc.stdout)
        proc = check_run([binary, "schema"])
        self.assertEqual(proc.stdout, (self.stage / SCHEMA).read_bytes())
        self.assertEqual(proc.stdout, (SOURCE_DIR / "schema" / "policy.schema.json").read_bytes())

    def test_man_page_renders(self):
        page = self.stage / MAN
        env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MAN_KEEP_FORMATTING="")
        env.pop("MANPAGER", None)
        env.pop("PAGER", None)
        proc = check_run(["man", "-l", "-P", "cat", str(page)], env=env)
        self.assertEqual(proc.stderr, b"", "man (groff) warned")
        text = re.sub(r".\x08", "", proc.stdout.decode())  # overstrike, if any
        self.assertTrue(text.startswith("MTAROUTE(1)"), text[:200])
        self.assertIn(f"mtaroute {project_version()}", text)
        self.assertNotIn("@PROJECT_VERSION@", text)
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "THE POLICY FILE",
                        "DIAGNOSTICS", "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES",
                        "SEE ALSO"):
            self.assertRegex(text, rf"(?m)^{section}$")
        for path in COMMANDS:
            if not path:
                continue
            found = re.search(rf"(?m)^   {path[0]}\b", text) and f"mtaroute {' '.join(path)}" in text
            self.assertTrue(found, f"no section or synopsis for {' '.join(path)}")
        for option in OPTIONS:
            self.assertIn(option, text)
        for key in ("relays", "routes", "default", "origins", "spf", "subdomains", "egress",
                    "password_file", "password_env", "NO_COLOR", "GITHUB_ACTIONS"):
            self.assertIn(key, text)
        widest = max(len(line) for line in text.splitlines())
        self.assertLessEqual(widest, 100, "an example line is far too wide for a terminal")

    def test_man_page_is_clean_roff(self):
        source = gzip.decompress((self.stage / MAN).read_bytes())
        proc = check_run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=source)
        self.assertEqual(proc.stderr, b"")
        self.assertEqual((self.stage / MAN).read_bytes()[4:8], b"\0\0\0\0",
                         "gzip -n: no time stamp, so the same source gives the same bytes")

    def test_bash_completion(self):
        script = self.stage / BASH
        cases = {
            "mtaroute ''": "lint gen route schema init triage --help --version",
            "mtaroute gen ''": "postfix qmail spf --help",
            "mtaroute lint --format ''": "auto text json github sarif",
            "mtaroute lint --format = ''": "auto text json github sarif",
            "mtaroute lint --color ''": "auto always never",
            "mtaroute gen postfix p.json --only ''":
                "transport main.cf sasl_passwd tls_policy mynetworks",
            "mtaroute gen postfix --table-type l": "lmdb",
            "mtaroute gen qmail p.json --only ''": "smtproutes tcp.smtp",
            "mtaroute gen spf p.json --format ''": "zone txt json",
            "mtaroute triage --format ''": "text json",
            "mtaroute init --f": "--force",
            "mtaroute lint pol": "policy.json",
            "mtaroute route pol": "policy.json",
            "mtaroute route policy.json ''": "",
            "mtaroute route --format json pol": "policy.json",
            "mtaroute route --format = json policy.json ''": "",
            "mtaroute route --format ''": "text json",
        }
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "policy.json").write_text("{}")
            Path(tmp, "policy.txt").write_text("")
            for words, expected in cases.items():
                with self.subTest(words=words):
                    program = (f"source {script}\n"
                               f"COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n"
                               "_mtaroute\necho \"${COMPREPLY[*]}\"\n")
                    proc = check_run(["bash", "--norc", "--noprofile", "-c", program], cwd=tmp)
                    self.assertEqual(proc.stdout.decode().split(), expected.split())
                    self.assertEqual(proc.stderr, b"")

    def test_zsh_completion(self):
        script = self.stage / ZSH
        check_run(["zsh", "-n", str(script)])
        with tempfile.TemporaryDirectory() as tmp:
            program = (f"fpath=({script.parent} $fpath); autoload -U compinit; "
                       f"compinit -u -d {tmp}/zcompdump; print -r -- $_comps[mtaroute]")
            proc = check_run(["zsh", "-f", "-c", program], env=dict(os.environ, HOME=tmp))
            self.assertEqual(proc.stdout.decode().strip(), "_mtaroute")
            self.assertEqual(proc.stderr, b"")

    def test_completions_name_every_command_and_option(self):
        for path in (BASH, ZSH):
            text = (self.stage / path).read_text()
            for word in SUBCOMMANDS + OPTIONS:
                with self.subTest(file=path, word=word):
                    self.assertRegex(text, rf"(?<![\w-]){re.escape(word)}(?![\w-])")


class DebianPackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        out = Path(cls.tmp.name)
        check_run(["cpack", "--config", str(BUILD_DIR / "CPackConfig.cmake"), "-B", str(out)])
        debs = sorted(out.glob("*.deb"))
        if len(debs) != 1:
            raise AssertionError(f"cpack made {debs}, not one .deb")
        cls.deb = debs[0]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_name(self):
        arch = check_run(["dpkg", "--print-architecture"]).stdout.decode().strip()
        self.assertEqual(self.deb.name, f"mtaroute_{project_version()}-1_{arch}.deb")

    def test_control(self):
        info = check_run(["dpkg-deb", "-I", str(self.deb)]).stdout.decode()
        fields = dict(re.findall(r"(?m)^ ([A-Za-z-]+): (.*)$", info))
        self.assertEqual(fields["Package"], "mtaroute")
        self.assertEqual(fields["Version"], f"{project_version()}-1")
        self.assertEqual(fields["Section"], "mail")
        self.assertIn("<", fields["Maintainer"])
        self.assertTrue(fields["Description"].strip())
        depends = {d.split("(")[0].strip() for d in fields["Depends"].split(",")}
        # Computed by dpkg-shlibdeps from the binary; triage's zlib and the like may join.
        for package in ("libc6", "libfmt9", "libidn2-0", "libstdc++6"):
            self.assertIn(package, depends, fields["Depends"])
        self.assertRegex(fields["Depends"], r"libc6 \(>= [\d.]+\)")

    def test_contents(self):
        listing = check_run(["dpkg-deb", "-c", str(self.deb)]).stdout.decode()
        entries = {}
        for line in listing.splitlines():
            mode, owner, _size, _date, _time, path = line.split(None, 5)
            entries[path] = (mode, owner)
            self.assertEqual(owner, "root/root", line)
            self.assertTrue(path.startswith("./usr/") or path == "./", line)
            if mode.startswith("d"):
                self.assertEqual(mode, "drwxr-xr-x", line)
        for path, mode in FILES.items():
            with self.subTest(path=path):
                self.assertIn(f"./{path}", entries)
                expected = "-rwxr-xr-x" if mode == 0o755 else "-rw-r--r--"
                self.assertEqual(entries[f"./{path}"][0], expected)

    def test_apt_would_install_it(self):
        # `apt install ./mtaroute_*.deb` as the README says, simulated: apt resolves every
        # dependency dpkg-shlibdeps wrote against Debian 12's packages, and changes nothing.
        proc = check_run(["apt-get", "install", "--simulate", "-q", str(self.deb)])
        out = proc.stdout.decode()
        self.assertRegex(out, rf"(?m)^Inst mtaroute \({re.escape(project_version())}-1 ")
        self.assertRegex(out, r"(?m)^Conf mtaroute ")
        self.assertNotRegex(out, r"(?m)^Remv ", "installing it would remove a package")

    def test_packaged_binary_runs_and_is_stripped(self):
        with tempfile.TemporaryDirectory() as tmp:
            check_run(["dpkg-deb", "-x", str(self.deb), tmp])
            binary = Path(tmp) / "usr" / "bin" / "mtaroute"
            proc = check_run([str(binary), "--version"])
            self.assertEqual(proc.stdout.decode(), f"mtaroute {project_version()}\n")
            sections = check_run(["readelf", "-S", "-W", str(binary)]).stdout.decode()
            self.assertNotIn(".debug_info", sections)


class PreCommitHookTest(unittest.TestCase):
    """.pre-commit-hooks.yaml as pre-commit reads it: the hook's entry, run on the files it
    matches, passes a good policy and fails a bad one (pre-commit appends the file names)."""

    def setUp(self):
        import yaml  # python3-yaml
        hooks = yaml.safe_load((SOURCE_DIR / ".pre-commit-hooks.yaml").read_text())
        self.hook = next(h for h in hooks if h["id"] == "mtaroute-lint")

    def run_hook(self, *files):
        entry = shlex.split(self.hook["entry"])
        self.assertEqual(entry[0], "mtaroute")
        matched = [f for f in files if re.search(self.hook["files"], f)]
        return subprocess.run([MTAROUTE, *entry[1:], *matched], capture_output=True,
                              timeout=60, cwd=SOURCE_DIR)

    def test_hook(self):
        self.assertEqual(self.hook["language"], "system")
        good = self.run_hook("examples/gmail-relay.json", "README.md")
        self.assertEqual(good.returncode, 0, good.stderr)
        bad = self.run_hook("examples/gmail-relay.json",
                            "tests/lint/cases/unknown-relay-typo.json")
        self.assertEqual(bad.returncode, 1, bad.stderr)
        self.assertIn(b"[unknown-relay]", bad.stdout + bad.stderr)


if __name__ == "__main__":
    unittest.main()
