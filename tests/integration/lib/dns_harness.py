"""DNS test harness for mtaroute integration tests.

Serves generated zone data from a private, unprivileged NSD on 127.0.0.1 and
evaluates SPF records with pyspf, either literally or as published in DNS.

Requirements (Debian packages): python3-spf (pyspf), python3-dnspython, nsd,
bind9-utils (named-checkzone).  Run with Debian's /usr/bin/python3.

Never touches the system NSD (/etc/nsd, its service, /var/lib/nsd, /run/nsd):
every NSD started here gets its own config, zone files, pid/zonelist/xfrd
files under a fresh temporary directory, listens on 127.0.0.1 on a free high
port, has remote-control disabled, runs in the foreground (``nsd -d -c CONF``)
as ``nobody`` when the harness runs as root (as the invoking user otherwise),
and is stopped by its own PID.

Public API
----------
make_zone(origin, records, ...) -> str
named_checkzone(origin, zone_text) -> (ok, output)
nsd_checkzone(origin, zone_text) -> (ok, output)
Nsd(zones)                       context manager; .port, .pid, .stop(),
                                 .query_txt(), .query_txt_records(), .query()
use_nameserver(port)             context manager pointing pyspf's DNS at NSD
spf_literal(record, ip, ...)     -> pyspf result for a literal record
spf_published(domain, ip, nsd_port) -> pyspf result for the record in DNS
spf_literal_full / spf_published_full  same, returning pyspf's whole tuple
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import pwd
import grp
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import warnings

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import spf

__all__ = [
    "DnsHarnessError",
    "make_zone",
    "named_checkzone",
    "nsd_checkzone",
    "Nsd",
    "use_nameserver",
    "spf_literal",
    "spf_published",
    "spf_literal_full",
    "spf_published_full",
    "DEFAULT_DOMAIN",
    "DEFAULT_HELO",
]

DEFAULT_DOMAIN = "example.test"
DEFAULT_HELO = "mail.example"

NSD = shutil.which("nsd", path="/usr/sbin:/usr/bin:/sbin:/bin") or "nsd"
NSD_CHECKCONF = shutil.which("nsd-checkconf", path="/usr/sbin:/usr/bin") or "nsd-checkconf"
NSD_CHECKZONE = shutil.which("nsd-checkzone", path="/usr/sbin:/usr/bin") or "nsd-checkzone"
NAMED_CHECKZONE = (shutil.which("named-checkzone", path="/usr/bin:/usr/sbin")
                   or "named-checkzone")

# pyspf picks dnspython if importable, else pydns.  The harness redirects
# dnspython's default resolver, so it only works with the dnspython backend.
_PYSPF_USES_DNSPYTHON = getattr(spf, "DNSLookup", None) is getattr(
    spf, "DNSLookup_dnspython", object())


class DnsHarnessError(RuntimeError):
    """Raised when the harness itself (NSD, tools, setup) fails."""


# --------------------------------------------------------------------------
# zone text and offline checks
# --------------------------------------------------------------------------

def _abs(name: str) -> str:
    return name if name.endswith(".") else name + "."


def make_zone(origin: str, records: list[str], ttl: int = 3600,
              serial: int = 1, ns_address: str = "127.0.0.1") -> str:
    """Zone text: $ORIGIN/$TTL, SOA, NS ns1.ORIGIN (+ glue A), then `records` verbatim."""
    origin = _abs(origin)
    lines = [
        f"$ORIGIN {origin}",
        f"$TTL {ttl}",
        f"@\tIN\tSOA\tns1.{origin} hostmaster.{origin} "
        f"( {serial} 3600 900 604800 300 )",
        f"@\tIN\tNS\tns1.{origin}",
        f"ns1.{origin}\tIN\tA\t{ns_address}",
    ]
    lines.extend(records)
    return "\n".join(lines) + "\n"


def _run_checker(argv_prefix: list[str], origin: str, zone_text: str) -> tuple[bool, str]:
    with tempfile.TemporaryDirectory(prefix="mtaroute-zonecheck-") as d:
        path = os.path.join(d, "zone.db")
        with open(path, "w", encoding="utf-8") as f:
            f.write(zone_text)
        try:
            cp = subprocess.run(argv_prefix + [_abs(origin), path],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, timeout=30)
        except FileNotFoundError as e:
            raise DnsHarnessError(f"{argv_prefix[0]} not found: {e}") from e
        return cp.returncode == 0, cp.stdout


def named_checkzone(origin: str, zone_text: str) -> tuple[bool, str]:
    """Run `named-checkzone ORIGIN FILE` on zone_text; return (exit status == 0, combined output)."""
    return _run_checker([NAMED_CHECKZONE], origin, zone_text)


def nsd_checkzone(origin: str, zone_text: str) -> tuple[bool, str]:
    """Run `nsd-checkzone ORIGIN FILE` on zone_text; return (exit status == 0, combined output)."""
    return _run_checker([NSD_CHECKZONE], origin, zone_text)


# --------------------------------------------------------------------------
# NSD
# --------------------------------------------------------------------------

def _free_port(host: str = "127.0.0.1") -> int:
    """A port currently free for both UDP and TCP on host (bind to port 0)."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            t.bind((host, 0))
            port = t.getsockname()[1]
            try:
                u.bind((host, port))
            except OSError:
                continue
            return port
        finally:
            t.close()
            u.close()
    raise DnsHarnessError("could not find a free UDP+TCP port on " + host)


_PR_SET_PDEATHSIG = 1


def _set_pdeathsig() -> None:  # runs in the child between fork and exec
    # Runs after CPython's setgid/setuid (user=/group= of Popen), so the
    # setting survives the credential change.  nsd is not setuid, so it also
    # survives exec.  If the harness process dies, nsd gets SIGTERM.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except Exception:  # pragma: no cover - best effort only
        pass


def _proc_state(pid: int) -> str | None:
    """Process state letter from /proc (None if gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        return stat[stat.rindex(b")") + 2:].split()[0].decode()
    except (OSError, ValueError, IndexError):
        return None


def _descendants_of(pid: int) -> list[int]:
    """PIDs of all descendants of pid (its own children, theirs, ...)."""
    out, todo = [], [pid]
    while todo:
        kids = _children_of(todo.pop())
        out.extend(kids)
        todo.extend(kids)
    return out


def _children_of(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
            # field 4 (ppid) follows the ")" closing the command name
            ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            kids.append(int(entry))
    return kids


_LIVE: "set[Nsd]" = set()


@atexit.register
def _stop_all() -> None:
    for n in list(_LIVE):
        n.stop()


class Nsd:
    """A private NSD serving `zones` ({origin: zone_text}) on 127.0.0.1:<free port>.

    Use as a context manager (or call .stop()).  Attributes: .port, .host,
    .pid, .workdir, .log_path.  Starting waits until every zone answers its
    SOA query.
    """

    host = "127.0.0.1"

    def __init__(self, zones: dict[str, str], start_timeout: float = 10.0,
                 check_zones: bool = True, verbosity: int = 1):
        if not zones:
            raise ValueError("Nsd needs at least one zone")
        self.zones = {_abs(o): t for o, t in zones.items()}
        self.start_timeout = start_timeout
        self.verbosity = verbosity
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.workdir: str | None = None
        self.log_path: str | None = None
        if check_zones:
            for origin, text in self.zones.items():
                ok, out = nsd_checkzone(origin, text)
                if not ok:
                    raise DnsHarnessError(
                        f"nsd-checkzone rejected zone {origin}:\n{out}\n"
                        f"--- zone text ---\n{text}")
        self._start()

    # -- lifecycle ---------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def _run_as(self) -> tuple[dict, int | None, int | None]:
        """Popen kwargs for dropping to nobody (when root) and its uid/gid."""
        if os.geteuid() != 0:
            return {}, None, None
        pw = pwd.getpwnam("nobody")
        try:
            gid = grp.getgrnam("nogroup").gr_gid
        except KeyError:
            gid = pw.pw_gid
        return {"user": pw.pw_uid, "group": gid, "extra_groups": []}, pw.pw_uid, gid

    def _write_files(self, port: int, uid: int | None, gid: int | None) -> str:
        wd = self.workdir
        zone_entries = []
        for i, (origin, text) in enumerate(self.zones.items()):
            zf = os.path.join(wd, f"zone{i}.db")
            with open(zf, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(zf, 0o644)
            zone_entries.append(f'zone:\n\tname: "{origin}"\n\tzonefile: "{zf}"\n')
        conf = os.path.join(wd, "nsd.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(f"""# generated by tests/integration/lib/dns_harness.py
server:
\tip-address: {self.host}
\tport: {port}
\tdo-ip4: yes
\tdo-ip6: no
\treuseport: no
\tserver-count: 1
\tusername: ""
\tchroot: ""
\tzonesdir: "{wd}"
\tdatabase: ""
\tzonelistfile: "{wd}/zone.list"
\txfrdfile: "{wd}/xfrd.state"
\txfrdir: "{wd}"
\tpidfile: "{wd}/nsd.pid"
\tlog-only-syslog: no
\tverbosity: {self.verbosity}
\thide-version: yes
\tzonefiles-check: yes
\tzonefiles-write: 0
remote-control:
\tcontrol-enable: no

""" + "\n".join(zone_entries))
        os.chmod(conf, 0o644)
        if uid is not None:
            for name in os.listdir(wd):
                os.chown(os.path.join(wd, name), uid, gid)
            os.chown(wd, uid, gid)
        os.chmod(wd, 0o755)
        cp = subprocess.run([NSD_CHECKCONF, conf], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=30)
        if cp.returncode != 0:
            raise DnsHarnessError(f"nsd-checkconf rejected {conf}:\n{cp.stdout}")
        return conf

    def _log_tail(self, n: int = 40) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no log)"

    def _start(self) -> None:
        popen_kw, uid, gid = self._run_as()
        # /tmp (not a possibly private $TMPDIR) so that nobody can traverse it.
        base = "/tmp" if uid is not None else None
        self.workdir = tempfile.mkdtemp(prefix="mtaroute-nsd-", dir=base)
        self.log_path = os.path.join(self.workdir, "nsd.log")
        _LIVE.add(self)
        try:
            last_err = ""
            for _attempt in range(5):
                port = _free_port(self.host)
                conf = self._write_files(port, uid, gid)
                with open(self.log_path, "ab") as log:
                    self.proc = subprocess.Popen(
                        [NSD, "-d", "-c", conf],
                        stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                        cwd=self.workdir, close_fds=True,
                        preexec_fn=_set_pdeathsig, **popen_kw)
                self.port = port
                if self._wait_ready():
                    return
                last_err = self._log_tail()
                self._terminate()
                if "bind" not in last_err.lower():
                    break  # not a port clash: retrying will not help
            raise DnsHarnessError(
                f"nsd did not come up (workdir {self.workdir}); log tail:\n{last_err}")
        except BaseException:
            self.stop()
            raise

    def _soa_ok(self, origin: str) -> bool:
        q = dns.message.make_query(origin, dns.rdatatype.SOA)
        try:
            r = dns.query.udp(q, self.host, port=self.port, timeout=0.25)
        except (dns.exception.Timeout, OSError):
            return False
        return (r.rcode() == dns.rcode.NOERROR and
                any(rr.rdtype == dns.rdatatype.SOA for rr in r.answer))

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.start_timeout
        pending = list(self.zones)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            pending = [o for o in pending if not self._soa_ok(o)]
            if not pending:
                return True
            time.sleep(0.05)
        return False

    def _terminate(self) -> None:
        p = self.proc
        if p is None:
            return
        if p.poll() is None:
            kids = _descendants_of(p.pid)   # nsd's own server/xfrd processes
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
            # nsd's main process may exit before its children; wait for them
            # (they were started by our nsd, so ending them by PID is ours).
            deadline = time.monotonic() + 5
            while True:
                alive = [k for k in kids if _proc_state(k) not in (None, "Z", "X")]
                if not alive:
                    break
                if time.monotonic() > deadline:
                    for k in alive:
                        with contextlib.suppress(ProcessLookupError, PermissionError):
                            os.kill(k, signal.SIGKILL)
                    break
                time.sleep(0.02)
        self.proc = None

    def stop(self) -> None:
        """SIGTERM nsd by its PID, wait for it to exit, remove the temp dir. Idempotent."""
        try:
            self._terminate()
        finally:
            if self.workdir and os.path.isdir(self.workdir):
                shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
            _LIVE.discard(self)

    def __enter__(self) -> "Nsd":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- queries -----------------------------------------------------------

    def query(self, name: str, rdtype: str = "TXT") -> dns.message.Message:
        """Raw dnspython query to this NSD (UDP, TCP fallback on truncation)."""
        if self.proc is None:
            raise DnsHarnessError("nsd is not running")
        q = dns.message.make_query(_abs(name), rdtype)
        r, _tcp = dns.query.udp_with_fallback(q, self.host, port=self.port, timeout=3)
        return r

    def query_txt_records(self, name: str) -> list[list[bytes]]:
        """All TXT RRs at name as served, each as its list of character-strings ([] if none)."""
        r = self.query(name, "TXT")
        if r.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise DnsHarnessError(
                f"TXT {name}: rcode {dns.rcode.to_text(r.rcode())}")
        out = []
        for rrset in r.answer:
            if rrset.rdtype == dns.rdatatype.TXT:
                out.extend(list(rd.strings) for rd in rrset)
        return out

    def query_txt(self, name: str) -> list[bytes]:
        """The character-strings of the single TXT RR at name as served ([] if none; error if several)."""
        recs = self.query_txt_records(name)
        if len(recs) > 1:
            raise DnsHarnessError(
                f"{name} has {len(recs)} TXT records; use query_txt_records()")
        return recs[0] if recs else []


# --------------------------------------------------------------------------
# pyspf
# --------------------------------------------------------------------------

@contextlib.contextmanager
def use_nameserver(port: int | None, host: str = "127.0.0.1", timeout: float = 2.0):
    """Point pyspf's DNS (dnspython's module default resolver) at host:port; restore on exit.

    port=None installs a resolver with no nameservers, so any DNS lookup
    fails immediately (pyspf -> 'temperror') instead of leaking to the
    system resolver.  Not thread-safe (it swaps a module global).
    """
    if not _PYSPF_USES_DNSPYTHON:
        raise DnsHarnessError(
            "pyspf is not using dnspython (spf.DNSLookup is "
            f"{getattr(spf, 'DNSLookup', None)!r}); cannot redirect its DNS")
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = [host] if port is not None else []
    if port is not None:
        res.port = port
    res.domain = dns.name.root   # no search-list suffixes (pyspf uses search=True)
    res.search = []
    res.timeout = timeout
    res.lifetime = timeout * 2
    res.cache = None
    saved = dns.resolver.default_resolver
    dns.resolver.default_resolver = res
    try:
        with warnings.catch_warnings():
            # pyspf calls the deprecated dns.resolver.query()
            warnings.filterwarnings("ignore", category=DeprecationWarning,
                                    message=r".*dns\.resolver\.resolve")
            yield res
    finally:
        dns.resolver.default_resolver = saved


def spf_literal(record: str, ip: str, sender: str | None = None,
                helo: str = DEFAULT_HELO, nsd_port: int | None = None,
                domain: str = DEFAULT_DOMAIN) -> str:
    """pyspf result of `record` checked as DOMAIN's policy: spf.query(i, s, h).check(spf=record)[0].

    sender defaults to postmaster@DOMAIN.  DNS needed by the record (include,
    a, mx, ...) goes to the NSD on nsd_port; with nsd_port=None it fails
    fast (temperror).
    """
    if not record:
        raise ValueError("empty record (pyspf would look it up in DNS instead)")
    if sender is None:
        sender = "postmaster@" + domain.rstrip(".")
    with use_nameserver(nsd_port):
        return spf.query(i=ip, s=sender, h=helo, querytime=10).check(spf=record)[0]


def spf_literal_full(record: str, ip: str, sender: str | None = None,
                     helo: str = DEFAULT_HELO, nsd_port: int | None = None,
                     domain: str = DEFAULT_DOMAIN) -> tuple:
    """Like spf_literal but returns pyspf's whole (result, code, explanation) tuple."""
    if sender is None:
        sender = "postmaster@" + domain.rstrip(".")
    with use_nameserver(nsd_port):
        return spf.query(i=ip, s=sender, h=helo, querytime=10).check(spf=record)


def spf_published(domain: str, ip: str, nsd_port: int, helo: str = DEFAULT_HELO,
                  querytime: float = 10) -> str:
    """pyspf result for DOMAIN's SPF as served by the NSD on nsd_port: spf.check2(i, 'postmaster@'+domain, h)[0]."""
    return spf_published_full(domain, ip, nsd_port, helo, querytime)[0]


def spf_published_full(domain: str, ip: str, nsd_port: int, helo: str = DEFAULT_HELO,
                       querytime: float = 10) -> tuple:
    """Like spf_published but returns check2's (result, explanation)."""
    domain = domain.rstrip(".")
    with use_nameserver(nsd_port):
        return spf.check2(i=ip, s="postmaster@" + domain, h=helo, querytime=querytime)
