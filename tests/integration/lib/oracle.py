"""The output oracle for tests that generate files (issue 7).

lib/mtaroute_cli.run() hands it every successful `mtaroute gen TARGET POLICY --out DIR`
(without --check or --template-dir) by itself, so no test that writes files through run()
can forget it. A test that runs the binary some other way calls it itself:

    from lib import oracle
    oracle.assert_holds(self, policy_name, out_dir, cwd=workdir, env_extra=env)

It runs tests/tools/oracle_check (C++, src/oracle/: the same checker the fuzz target uses),
which parses every file in DIR back and fails on any line that is not a well-formed entry or
a whole-line comment, any entry that does not come from the policy (a transport key that is
not a routed domain, a nexthop that is not its route's relay, a `*` key, a mynetworks entry
outside loopback and the origins, a tcp.smtp rule for other addresses, an SPF term nobody
asked for), and anything the policy needs that the files lack. The target and the SPF format
are guessed from the file names; pass them (and table_type / config_dir when gen was given
--table-type / --config-dir) when they differ from the defaults. Run it with the same cwd and
environment as gen: it reads the relay passwords the same way, to check sasl_passwd.
"""
import os
import subprocess
from pathlib import Path

from .mtaroute_cli import MTAROUTE, assert_not_crashed

ORACLE_CHECK = os.environ.get("ORACLE_CHECK",
                              str(Path(MTAROUTE).resolve().parent / "tests" / "oracle_check"))


def check(policy, out_dir, target=None, spf_format=None, table_type=None, config_dir=None,
          cwd=None, env_extra=None, timeout=60):
    """Runs oracle_check on out_dir; returns the CompletedProcess (text).

    Exit 0: every file holds; 1: findings (one per stdout line); 2: could not check.
    """
    args = [ORACLE_CHECK]
    for flag, value in (("--target", target), ("--spf-format", spf_format),
                        ("--table-type", table_type), ("--config-dir", config_dir)):
        if value is not None:
            args += [flag, value]
    args += [str(policy), str(out_dir)]
    env = dict(os.environ)
    env.update(env_extra or {})
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, timeout=timeout)
    assert_not_crashed(proc, args)
    return subprocess.CompletedProcess(proc.args, proc.returncode,
                                       proc.stdout.decode("utf-8", "replace"),
                                       proc.stderr.decode("utf-8", "replace"))


def assert_holds(testcase, policy, out_dir, **kwargs):
    """Fails testcase unless every generated file in out_dir holds against policy."""
    proc = check(policy, out_dir, **kwargs)
    testcase.assertEqual(proc.returncode, 0,
                         f"output oracle on {out_dir} (policy {policy}):\n"
                         f"{proc.stdout}{proc.stderr}")
