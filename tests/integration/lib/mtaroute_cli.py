"""Running the built mtaroute in tests: where it is, and example policies made runnable.

The examples name secret files under /etc/mtaroute and environment variables; tests copy a
policy into a temporary directory, point its password files at test secrets there, and run
mtaroute from that directory so that outputs name the policy as "NAME.json".
"""
import json
import os
import re
import subprocess
from pathlib import Path

SOURCE_DIR = Path(os.environ.get("MTAROUTE_SOURCE_DIR", Path(__file__).resolve().parents[3]))
MTAROUTE = os.environ.get("MTAROUTE", str(SOURCE_DIR / "build" / "mtaroute"))
EXAMPLES = sorted((SOURCE_DIR / "examples").glob("*.json"))
TEST_PASSWORD = "golden:pass word%!"  # a ':' and a space: both must survive sasl_passwd


# What AddressSanitizer, LeakSanitizer and UBSan print (scripts/test.sh runs every test a
# second time against a -DMTAROUTE_SANITIZE=ON build, with abort_on_error=1).
SANITIZER_MARKERS = (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer",
                     b"SUMMARY: UndefinedBehaviorSanitizer", b": runtime error: ")


def assert_not_crashed(proc, args=None):
    """Raises AssertionError when proc died of a signal or printed a sanitizer report.

    Tests often expect a non-zero status (1 = errors found); a crash or a sanitizer abort must
    never pass for that.
    """
    stderr = proc.stderr if isinstance(proc.stderr, bytes) else (proc.stderr or "").encode()
    if proc.returncode < 0 or any(marker in stderr for marker in SANITIZER_MARKERS):
        raise AssertionError(f"{args or proc.args} crashed (status {proc.returncode}):\n"
                             + stderr.decode("utf-8", "replace")[-4000:])


def run(args, cwd=None, env_extra=None, timeout=60, input_bytes=None):
    """Runs mtaroute with args; returns the CompletedProcess (bytes). Fails on a crash."""
    env = dict(os.environ)
    env.update(env_extra or {})
    proc = subprocess.run([MTAROUTE, *args], cwd=cwd, env=env, capture_output=True,
                          timeout=timeout, input=input_bytes)
    assert_not_crashed(proc, args)
    if proc.returncode == 0:
        check_written_output(args, cwd, env_extra)
    return proc


def option(args, flag):
    """The value of `flag VALUE` or `flag=VALUE` in args, or None."""
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(flag + "="):
            return arg[len(flag) + 1:]
    return None


def check_written_output(args, cwd, env_extra):
    """Every successful `gen TARGET POLICY --out DIR` (not --check) goes through the output
    oracle (lib/oracle.py), so no test that writes files can forget it. Raises AssertionError
    (a test failure) with the oracle's findings."""
    args = [str(a) for a in args]
    if len(args) < 3 or args[0] != "gen" or "--check" in args:
        return
    out_dir = option(args, "--out")
    if out_dir is None or option(args, "--template-dir") is not None:
        return  # stdout only; or custom headers, which the oracle cannot know
    from . import oracle  # here: oracle imports this module
    target = args[1]
    with_value = {"--out", "--only", "--format", "--table-type", "--config-dir", "--max-size"}
    positional = [a for i, a in enumerate(args[2:], 2)
                  if not a.startswith("-") and args[i - 1] not in with_value]
    proc = oracle.check(positional[0], out_dir, target=target,
                        spf_format=option(args, "--format") if target == "spf" else None,
                        table_type=option(args, "--table-type"),
                        config_dir=option(args, "--config-dir"), cwd=cwd, env_extra=env_extra)
    if proc.returncode != 0:
        raise AssertionError(f"output oracle on {out_dir} after mtaroute {' '.join(args)}:\n"
                             f"{proc.stdout}{proc.stderr}")


def strip_comments(text):
    """Removes // and /* */ comments outside JSON strings."""
    out, i, n, in_string = [], 0, len(text), False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def load_policy(path):
    return json.loads(strip_comments(Path(path).read_text(encoding="utf-8")))


def runnable_copy(example, directory):
    """Copies example into directory with its password files pointing at test secrets there.

    Returns (policy_name, env) where env sets every password_env variable to TEST_PASSWORD.
    The text is changed only in password_file values, so lines and columns stay put.
    """
    directory = Path(directory)
    text = Path(example).read_text(encoding="utf-8")
    env = {}
    policy = load_policy(example)
    for name, relay in policy.get("relays", {}).items():
        auth = relay.get("auth", {})
        if "password_file" in auth:
            secret = directory / f"{name}.secret"
            secret.write_text(TEST_PASSWORD + "\n")
            secret.chmod(0o600)
            text = text.replace(json.dumps(auth["password_file"]), json.dumps(str(secret)))
        if "password_env" in auth:
            env[auth["password_env"]] = TEST_PASSWORD
    target = directory / Path(example).name
    target.write_text(text, encoding="utf-8")
    return target.name, env
