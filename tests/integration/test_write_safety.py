#!/usr/bin/python3
"""gen --out writes all files or none, each atomically, with its mode and its owner kept.

Every case starts from a directory that an earlier `gen postfix --out` filled (transport,
main.cf, sasl_passwd, tls_policy, mynetworks) and makes the next run fail in the middle:
- a target that is a directory, and an --out path whose component is a file (refused before
  anything is written);
- an immutable file (chattr +i: even root cannot replace it); a directory the user may not
  write (mode 0555, gen run as nobody);
- write() failing with EFBIG under RLIMIT_FSIZE (only the last file, mynetworks, is too big:
  the earlier temporary files are already written) - mtaroute must not die of SIGXFSZ;
- ENOSPC on a 64 KiB tmpfs mounted in a private mount namespace (unshare -m);
- rename() failing for the 4th file (an LD_PRELOAD shim), after 3 files were renamed into
  place: they must be rolled back.
Each time: exit 1, an error naming the path and the reason, every previous file byte-identical
(content and mode), no temporary file left. Then: a run killed with SIGKILL at random moments
(30 runs, half of them just after a temporary file appears) while writing a 100,000-domain
policy leaves every file either wholly old or wholly new, and the next run cleans up; owner
and group of existing files are kept; unchanged files keep their mtime and the install steps
name only what changed; modes are 0600/0644 whatever the umask.
"""
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib.mtaroute_cli import MTAROUTE  # noqa: E402
from lib import oracle  # noqa: E402

FILES = ["transport", "main.cf", "sasl_passwd", "tls_policy", "mynetworks"]
PASSWORD = "Wr1te-Safety-Pa55"
ENV = {"RELAY_PASSWORD": PASSWORD}


def policy(domains=20, port=587, networks=4):
    """Every Postfix file; mynetworks grows with `networks` (one /32 each)."""
    return {
        "version": 1,
        "relays": {"clean": {"host": "relay.example.net", "port": port, "tls": "encrypt",
                             "auth": {"username": "mailer", "password_env": "RELAY_PASSWORD"}}},
        "routes": [{"domains": [f"d{i}.example.com" for i in range(domains)],
                    "subdomains": True, "relay": "clean"}],
        "origins": [{"name": "web", "networks": [f"10.{i // 65536 % 256}.{i // 256 % 256}."
                                                 f"{i % 256}" for i in range(networks)]}],
    }


def snapshot(directory):
    """name -> (bytes, mode, uid, gid, mtime_ns) of every entry."""
    out = {}
    for entry in sorted(os.listdir(directory)):
        path = os.path.join(directory, entry)
        st = os.lstat(path)
        data = Path(path).read_bytes() if os.path.isfile(path) else None
        out[entry] = (data, st.st_mode & 0o7777, st.st_uid, st.st_gid, st.st_mtime_ns)
    return out


def contents(directory):
    return {name: (data, mode) for name, (data, mode, *_) in snapshot(directory).items()}


def leftovers(directory):
    return [name for name in os.listdir(directory) if ".mtaroute-" in name]


class WriteSafety(unittest.TestCase):
    def setUp(self):
        self.work = Path(tempfile.mkdtemp(prefix="mtaroute-write-"))
        self.addCleanup(shutil.rmtree, self.work, True)
        self.out = self.work / "out"

    def gen(self, pol, out=None, preexec=None, env_extra=None, name="p.json"):
        (self.work / name).write_text(json.dumps(pol))
        env = dict(os.environ, **ENV, **(env_extra or {}))
        return subprocess.run([MTAROUTE, "gen", "postfix", name, "--out", str(out or self.out)],
                              cwd=self.work, env=env, capture_output=True, timeout=300,
                              preexec_fn=preexec)

    def start(self):
        proc = self.gen(policy())
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual(sorted(os.listdir(self.out)), sorted(FILES))
        oracle.assert_holds(self, "p.json", self.out, cwd=self.work, env_extra=ENV)
        return contents(self.out)

    def assert_failed_cleanly(self, proc, before, path, reason):
        stderr = proc.stderr.decode()
        self.assertEqual(proc.returncode, 1, stderr)
        self.assertIn(f"{path}: ", stderr)
        self.assertIn(reason, stderr)
        self.assertEqual(contents(self.out), before)
        self.assertEqual(leftovers(self.out), [])
        self.assertNotIn(PASSWORD, proc.stdout.decode() + stderr)

    def test_target_is_a_directory(self):
        before = self.start()
        os.unlink(self.out / "tls_policy")
        os.mkdir(self.out / "tls_policy")
        before = contents(self.out)
        proc = self.gen(policy(port=2525))
        self.assert_failed_cleanly(proc, before, f"{self.out}/tls_policy", "is a directory")

    def test_out_path_component_is_a_file(self):
        before = self.start()
        proc = self.gen(policy(port=2525), out=self.out / "transport" / "sub")
        self.assert_failed_cleanly(proc, before, f"{self.out}/transport/sub", "Not a directory")

    def test_immutable_file(self):
        before = self.start()
        target = self.out / "tls_policy"
        if subprocess.run(["chattr", "+i", str(target)], capture_output=True).returncode != 0:
            self.skipTest("chattr +i is not supported on this file system")
        try:
            proc = self.gen(policy(port=2525))
            self.assert_failed_cleanly(proc, before, str(target), "Operation not permitted")
        finally:
            subprocess.run(["chattr", "-i", str(target)])

    def test_read_only_directory(self):
        # The administrator runs gen as a user who may not write the directory (mode 0555,
        # not the owner): it fails before any file is touched. The policy has no secret, so
        # that user can read every deployed file to compare.
        pol = policy()
        del pol["relays"]["clean"]["auth"]
        proc = self.gen(pol)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        before = contents(self.out)
        os.chmod(self.work, 0o755)
        os.chmod(self.out, 0o555)
        self.addCleanup(os.chmod, self.out, 0o755)
        pol["relays"]["clean"]["port"] = 2525  # every file but mynetworks changes
        (self.work / "p.json").write_text(json.dumps(pol))
        proc = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                               MTAROUTE, "gen", "postfix", "p.json", "--out", str(self.out)],
                              cwd=self.work, capture_output=True, timeout=60)
        stderr = proc.stderr.decode()
        self.assertEqual(proc.returncode, 1, stderr)
        self.assertIn("nothing written: ", stderr)
        self.assertIn("Permission denied", stderr)
        self.assertEqual(contents(self.out), before)
        self.assertEqual(leftovers(self.out), [])

    def test_file_size_limit_midway(self):
        old = policy(port=587, networks=4)
        new = policy(port=2525, networks=3000)  # mynetworks ~ 40 KB, the others < 4 KB
        self.gen(old)
        before = contents(self.out)
        limit = 16 * 1024

        def small_files():
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        proc = self.gen(new, preexec=small_files)
        self.assertNotEqual(proc.returncode, -signal.SIGXFSZ, "killed by SIGXFSZ")
        self.assert_failed_cleanly(proc, before, f"{self.out}/mynetworks", "File too large")

    def test_disk_full_midway(self):
        if shutil.which("unshare") is None:
            self.skipTest("no unshare")
        (self.work / "old.json").write_text(json.dumps(policy(port=587, networks=4)))
        (self.work / "new.json").write_text(json.dumps(policy(port=2525, networks=6000)))
        self.out.mkdir()
        script = f"""
            set -e
            mount -t tmpfs -o size=64k tmpfs {self.out}
            {MTAROUTE} gen postfix old.json --out {self.out} > first.out 2> first.err
            cp -a {self.out} before
            rc=0
            {MTAROUTE} gen postfix new.json --out {self.out} > second.out 2> second.err || rc=$?
            echo $rc > rc
            cp -a {self.out} after
        """
        proc = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=self.work,
                              env=dict(os.environ, **ENV), capture_output=True, timeout=120)
        if proc.returncode != 0 and not (self.work / "rc").exists():
            self.skipTest(f"no private tmpfs here: {proc.stderr.decode().strip()}")
        stderr = (self.work / "second.err").read_text()
        self.assertEqual((self.work / "rc").read_text().strip(), "1", stderr)
        self.assertIn(f"{self.out}/mynetworks: ", stderr)
        self.assertIn("No space left on device", stderr)
        self.assertEqual(contents(self.work / "after"), contents(self.work / "before"))
        self.assertEqual(sorted(os.listdir(self.work / "after")), sorted(FILES))

    def test_rename_fails_after_three_renames(self):
        shim_source = self.work / "shim.c"
        shim_source.write_text(r"""
            #define _GNU_SOURCE
            #include <dlfcn.h>
            #include <errno.h>
            #include <stdlib.h>
            #include <string.h>
            int renameat(int olddir, const char *old, int newdir, const char *new) {
              static int (*real)(int, const char *, int, const char *);
              static int failed;
              if (!real) real = (int (*)(int, const char *, int, const char *))
                  dlsym(RTLD_NEXT, "renameat");
              const char *fail = getenv("FAIL_RENAME_TO");
              if (!failed && fail && strcmp(new, fail) == 0) {
                failed = 1;
                errno = EXDEV;
                return -1;
              }
              return real(olddir, old, newdir, new);
            }
        """)
        shim = self.work / "shim.so"
        subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(shim), str(shim_source), "-ldl"],
                       check=True)
        if b"libasan" in subprocess.run(["ldd", MTAROUTE], capture_output=True).stdout:
            self.skipTest("sanitizer build: LD_PRELOAD shims do not mix with ASan")
        before = self.start()
        proc = self.gen(policy(port=2525),
                        env_extra={"LD_PRELOAD": str(shim), "FAIL_RENAME_TO": "tls_policy"})
        self.assert_failed_cleanly(proc, before, f"{self.out}/tls_policy",
                                   "Invalid cross-device link")
        self.assertIn("the files already replaced were restored", proc.stderr.decode())
        # The same run without the shim succeeds: the failure was the shim's alone.
        self.assertEqual(self.gen(policy(port=2525)).returncode, 0)

    def test_owner_group_kept_and_modes(self):
        self.start()
        os.chown(self.out / "transport", 65534, 65534)  # nobody:nogroup
        os.chown(self.out / "sasl_passwd", 65534, 65534)
        proc = self.gen(policy(port=2525), preexec=lambda: os.umask(0o077))
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        snap = snapshot(self.out)
        for name in ("transport", "sasl_passwd"):
            self.assertEqual(snap[name][2:4], (65534, 65534), name)
        self.assertEqual(snap["main.cf"][2:4], (0, 0))
        for name in FILES:
            self.assertEqual(snap[name][1], 0o600 if name == "sasl_passwd" else 0o644, name)
        proc = self.gen(policy(port=2526), preexec=lambda: os.umask(0))
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual(snapshot(self.out)["sasl_passwd"][1], 0o600)

    def test_unchanged_files_keep_mtime_and_steps_name_only_changes(self):
        self.start()
        for name in FILES:
            os.utime(self.out / name, ns=(10**18, 10**18))
        proc = self.gen(policy())
        self.assertEqual(proc.returncode, 0)
        self.assertIn("nothing to install", proc.stdout.decode())
        self.assertTrue(all(v[4] == 10**18 for v in snapshot(self.out).values()))
        proc = self.gen(policy(domains=21))  # only transport changes
        stdout = proc.stdout.decode()
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertIn(f"{self.out}: wrote transport\n", stdout)
        for name in ("main.cf", "sasl_passwd", "tls_policy", "mynetworks"):
            self.assertNotIn(f"{self.out}/{name}", stdout)
            self.assertEqual(snapshot(self.out)[name][4], 10**18, name)
        self.assertNotEqual(snapshot(self.out)["transport"][4], 10**18)

    def test_only_prints_what_out_writes(self):
        self.start()
        env = dict(os.environ, **ENV)
        for name in FILES:
            proc = subprocess.run([MTAROUTE, "gen", "postfix", "p.json", "--only", name],
                                  cwd=self.work, env=env, capture_output=True)
            self.assertEqual(proc.returncode, 0, proc.stderr.decode())
            self.assertEqual(proc.stdout, (self.out / name).read_bytes(), name)
        self.assertIn(PASSWORD.encode(), (self.out / "sasl_passwd").read_bytes())

    def test_failed_run_leaves_no_new_directory(self):
        (self.work / "p.json").write_text(json.dumps(policy()))
        proc = self.gen(policy(networks=3000), out=self.work / "fresh",
                        preexec=lambda: resource.setrlimit(resource.RLIMIT_FSIZE,
                                                           (16384, 16384)))
        self.assertEqual(proc.returncode, 1, proc.stderr.decode())
        self.assertFalse((self.work / "fresh").exists())

    def test_leftovers_of_a_killed_run_are_removed(self):
        self.start()
        (self.out / "transport.mtaroute-Ab12Cd").write_text("half")
        (self.out / "notes.mtaroute-Ab12Cd").write_text("not ours")
        self.assertEqual(self.gen(policy()).returncode, 0)
        self.assertEqual(leftovers(self.out), ["notes.mtaroute-Ab12Cd"])

    def test_kept_copies_of_a_failed_rollback_stay(self):
        self.start()
        # What a killed run leaves (a temporary file, a backup) goes; the copy that a failed
        # rollback kept (the only copy of an earlier content) stays, and each run names it.
        (self.out / "transport.mtaroute-old-Ab12Cd").write_text("backup of a killed run")
        kept = self.out / "mynetworks.mtaroute-kept-Zz99Yy"
        kept.write_text("previous mynetworks\n")
        proc = self.gen(policy())
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertFalse((self.out / "transport.mtaroute-old-Ab12Cd").exists())
        self.assertEqual(kept.read_text(), "previous mynetworks\n")
        self.assertIn(f"mtaroute: note: {self.out}/mynetworks.mtaroute-kept-Zz99Yy: the content "
                      "mynetworks had before a failed run", proc.stderr.decode())

    def test_sigkill_at_random_moments(self):
        rng = random.Random(66)
        versions = {}
        for port in (587, 2525):  # every file differs between the two
            reference = self.work / f"ref-{port}"
            started = time.monotonic()
            proc = self.gen(policy(domains=100000, port=port, networks=300 + port),
                            out=reference, name=f"p{port}.json")
            took = time.monotonic() - started
            self.assertEqual(proc.returncode, 0, proc.stderr.decode())
            versions[port] = contents(reference)
        self.assertGreater(len(versions[587]["transport"][0]), 5_000_000)
        env = dict(os.environ, **ENV)
        shutil.copytree(self.work / "ref-587", self.out)
        killed, completed, mixed, with_temp = 0, 0, 0, 0
        for run in range(30):
            port = (587, 2525)[run % 2]
            proc = subprocess.Popen([MTAROUTE, "gen", "postfix", f"p{port}.json", "--out",
                                     str(self.out)], cwd=self.work, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if run % 4 < 2:  # at a random moment
                time.sleep(rng.uniform(0.1, 1.2) * took)
            else:  # while writing: once a temporary file appears, plus up to 30 ms
                deadline = time.monotonic() + 10 * took
                while not leftovers(self.out) and proc.poll() is None \
                        and time.monotonic() < deadline:
                    time.sleep(0.0005)
                time.sleep(rng.uniform(0, 0.03))
            proc.send_signal(signal.SIGKILL)
            code = proc.wait()
            killed += code == -signal.SIGKILL
            completed += code == 0
            with_temp += bool(leftovers(self.out))
            state = contents(self.out)
            which = set()
            for name in FILES:
                with self.subTest(run=run, file=name):
                    self.assertIn(name, state)
                    old_or_new = [p for p in versions if versions[p][name] == state[name]]
                    self.assertEqual(len(old_or_new), 1, f"{name} is neither version")
                    which.add(old_or_new[0])
            mixed += len(which) > 1
        proc = self.gen(policy(domains=100000, port=2525, networks=300 + 2525),
                        name="p2525.json")
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual(leftovers(self.out), [])
        self.assertEqual(contents(self.out), versions[2525])
        print(f"\nSIGKILL: 30 runs of a 100,000-domain gen ({took:.2f} s each): {killed} killed, "
              f"{completed} completed first, {with_temp} left temporary files, {mixed} left a "
              f"mix of old and new files; every file always wholly old or new", file=sys.stderr)
        self.assertGreater(killed, 10)


if __name__ == "__main__":
    unittest.main(verbosity=2)
