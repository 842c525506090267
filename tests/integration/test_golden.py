"""Golden files: every example policy's outputs for every target, byte for byte.

tests/golden/EXAMPLE/TARGET/ holds the files `gen TARGET --out` writes, or, when the target
refuses the policy, a file `refused` with the exact stderr and exit status. Set
MTAROUTE_UPDATE_GOLDEN=1 to rewrite them on purpose; review the diff like code.
Also checks: two runs give the same bytes; --only FILE equals what --out wrote; modes; and
the output oracle (lib/oracle.py) holds for every file written.
"""
import os
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib import oracle  # noqa: E402
from lib.mtaroute_cli import EXAMPLES, SOURCE_DIR, run, runnable_copy  # noqa: E402

GOLDEN = SOURCE_DIR / "tests" / "golden"
UPDATE = os.environ.get("MTAROUTE_UPDATE_GOLDEN") == "1"
TARGETS = {
    "postfix": ["postfix"],
    "qmail": ["qmail"],
    "spf-zone": ["spf", "--format", "zone"],
    "spf-txt": ["spf", "--format", "txt"],
    "spf-json": ["spf", "--format", "json"],
}


def generate(example, args, workdir):
    name, env = runnable_copy(example, workdir)
    out = Path(workdir) / "out"
    proc = run(["gen", *args, name, "--out", "out"], cwd=workdir, env_extra=env)
    files = {}
    if proc.returncode == 0:
        for path in sorted(out.iterdir()):
            files[path.name] = (path.read_bytes(), path.stat().st_mode & 0o777)
    else:
        files["refused"] = (proc.stderr + f"exit {proc.returncode}\n".encode(), 0o644)
    return proc, files, name, env


class GoldenTest(unittest.TestCase):
    def test_examples(self):
        self.assertTrue(EXAMPLES, "no examples found")
        for example in EXAMPLES:
            for target, args in TARGETS.items():
                with self.subTest(example=example.name, target=target), \
                        tempfile.TemporaryDirectory() as workdir:
                    self.check(example, target, args, workdir)

    def check(self, example, target, args, workdir):
        proc, files, name, env = generate(example, args, workdir)
        if proc.returncode == 0:  # every line parses back and comes from the policy
            oracle.assert_holds(self, name, Path(workdir) / "out", cwd=workdir, env_extra=env)
        golden_dir = GOLDEN / example.stem / target
        if UPDATE:
            shutil.rmtree(golden_dir, ignore_errors=True)
            golden_dir.mkdir(parents=True)
            for file, (content, _) in files.items():
                (golden_dir / file).write_bytes(content)
            return
        self.assertTrue(golden_dir.is_dir(), f"no golden files in {golden_dir}")
        expected = {p.name: p.read_bytes() for p in golden_dir.iterdir()}
        self.assertEqual(sorted(expected), sorted(files), f"file list of {golden_dir}")
        for file, (content, mode) in files.items():
            self.assertEqual(expected[file].decode(), content.decode(), f"{golden_dir}/{file}")
            if file != "refused":
                self.assertEqual(mode, 0o600 if file == "sasl_passwd" else 0o644, file)
        if proc.returncode != 0:
            return
        # Deterministic, and --only prints exactly what --out wrote.
        _, again, _, _ = generate(example, args, workdir)
        self.assertEqual(files, again, "second run differs")
        for file, (content, _) in files.items():
            only = run(["gen", *args, name, "--only", file], cwd=workdir, env_extra=env)
            self.assertEqual(only.returncode, 0, only.stderr.decode())
            self.assertEqual(only.stdout, content, f"--only {file}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
