"""Private, throw-away Postfix instances for mtaroute integration tests.

A :class:`PostfixInstance` is a complete Postfix (Debian's postfix 3.7
binaries) with its own config_directory, queue_directory, data_directory and
maillog under a temporary directory, its smtpd on 127.0.0.1 (optionally
also ::1) on a free high port, and no DNS at all: tests route to bracketed IP
nexthops such as ``[127.0.0.1]:2525`` (see smtp_sinks.Sink.nexthop).

Never touches the system Postfix.  /etc/postfix is only *read* (by Postfix
itself: meta_directory holds postfix-files and dynamicmaps.cf); the system
instance is never started, stopped or reloaded: every command here gets
``-c <private config dir>`` (``-C`` for sendmail) and a private master is
stopped by the PID in its own ``<queue>/pid/master.pid``.

How the instance is started and stopped, and why
------------------------------------------------
start: ``postfix -c CONFIG_DIR start``.  As root, postfix(1) accepts a
  non-default config directory without it being listed in
  ``alternate_config_directories``/``multi_instance_directories`` of the
  default main.cf (that check, mail_conf_checkdir(), only applies to
  unprivileged callers of the set-gid commands).  Debian ships no
  /etc/postfix/main.cf at all here, and we must not create one.  Going
  through postfix-script keeps Postfix's own start-up checks
  (``post-install create-missing`` makes the queue subdirectories with the
  right owners; because our config dir is not a multi-instance member,
  post-install would also consider the *shared* directories, but in
  create-missing mode it only mkdirs directories that do not exist, and
  the shared ones always exist, so nothing outside TMPDIR is changed), and
  ``master -w`` only returns once the master has bound its sockets.
  ``postfix set-permissions`` is deliberately NOT used: it would chown/chmod
  the shared Debian files too.
stop: SIGTERM to the PID in ``<queue>/pid/master.pid`` after checking that
  this process is a Postfix master whose MAIL_CONFIG is our config dir;
  the master then terminates its process group; we wait until the master
  and every process of its group are gone (a zombie counts as gone: PID 1
  here reaps orphans lazily), SIGKILLing stragglers of *our* instance
  (identified by MAIL_CONFIG in /proc/PID/environ) after a timeout.

DNS: BASE_MAIN_CF disables DNS in the smtp/lmtp clients and smtpd's client
  name lookup, and every name this module hands out is fixed; but a mail
  routed to an *unbracketed* domain (a test's routing mistake, or a DSN to
  an unrouted sender domain) still makes Postfix call getaddrinfo(), which
  on these machines would query the resolver in /etc/resolv.conf (not on
  loopback).  So call :func:`isolate_network` first in every test script:
  it re-executes the script in its own network namespace where only
  loopback exists and such a lookup fails at once.

Postfix surprises handled here:
  * with maillog_file set and postlogd not yet running, Postfix commands
    log warnings/fatal errors nowhere unless stderr is a tty -> commands run
    with a pty as stderr and their complaints end up in PostfixError;
  * maillog_file must start with one of maillog_file_prefixes (default
    /var, /dev/stdout) -> set to the instance directory;
  * postfix(1) chdirs to queue_directory before post-install creates it ->
    the queue directory itself is made here;
  * a main.cf modified in the current second makes every Postfix command
    sleep up to 2s ("may still be written") -> written files are backdated;
  * a master.cf ``-o syslog_name=${syslog_name}/...`` recurses -> literal
    names; nothing is chrooted (no /etc files to copy into the queue).

Requirements: Debian packages postfix (3.7), postfix-lmdb/postfix-cdb for
those map types, libsasl2-modules for SMTP AUTH, util-linux (unshare) and
iproute2 for isolate_network(); must run as root (Postfix needs root to
start a master and the config dir must be root-owned).

Public API
----------
isolate_network() -> bool        re-exec the script in a loopback-only netns
free_port(host='127.0.0.1') -> int
build_message(mail_from, rcpts, body, subject, headers) -> bytes
PostfixInstance(tmpdir, extra_main_cf=None, files=None, smtpd_port=None,
                bind_address=None, *, name='postfix', ipv6=False,
                extra_master_cf='', myhostname='origin.test', maps=None)
  attributes: config_dir queue_dir data_dir maillog_path smtpd_host
              smtpd_port main_cf start_output
  config:  path(name) write_file(name, content, mode) postmap(name, type)
           postmap_query(name, key, type) postconf(name) postconf_set(dict)
           check()
  life:    start() stop() reload() running master_pid()  (context manager)
           PostfixInstance.existing(tmpdir, name) -> handle to stop a leftover
  mail:    sendmail(from, rcpts, body) smtp_send(from, rcpts, body,
           source_address=...) smtp_connect(source_address) flush()
  observe: log() wait_log(regex) deliveries(rcpt) wait_delivered(rcpt,
           timeout, status='sent') queue() queue_empty() wait_queue_empty()
"""

from __future__ import annotations

import atexit
import email.utils
import json
import os
import re
import select
import signal
import smtplib
import pty
import socket
import subprocess
import sys
import threading
import time
import weakref
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

__all__ = [
    "PostfixError",
    "PostfixTimeout",
    "PostfixInstance",
    "build_message",
    "free_port",
    "isolate_network",
    "BASE_MAIN_CF",
]

POSTFIX = "/usr/sbin/postfix"
POSTCONF = "/usr/sbin/postconf"
POSTMAP = "/usr/sbin/postmap"
POSTQUEUE = "/usr/sbin/postqueue"
SENDMAIL = "/usr/sbin/sendmail"
SYSTEM_CONFIG_DIR = "/etc/postfix"


class PostfixError(Exception):
    """A Postfix command failed or the instance is misused."""


class PostfixTimeout(PostfixError, AssertionError):
    """A wait_* helper gave up; the message carries the log tail."""


def free_port(host: str = "127.0.0.1") -> int:
    """Return a currently free TCP port on *host* (bind to port 0, close)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


_DEFAULT_DIRS: Dict[str, str] = {}


def _postconf_default(name: str) -> str:
    """Compiled-in default of a *_directory parameter (Debian's layout),
    read once per process: ``postconf -d`` takes a few tenths of a second."""
    if not _DEFAULT_DIRS:
        names = ["command_directory", "daemon_directory", "shlib_directory",
                 "meta_directory"]
        out = subprocess.run([POSTCONF, "-d", "-h"] + names, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                             env=_clean_env(), check=True, cwd="/")
        values = out.stdout.decode().splitlines()
        if len(values) != len(names):
            raise PostfixError("unexpected postconf -d output: %r" % values)
        _DEFAULT_DIRS.update(zip(names, (v.strip() for v in values)))
    return _DEFAULT_DIRS[name]


def _clean_env() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAIL_CONFIG", "MAIL_DEBUG", "MAIL_VERBOSE")}
    env["LANG"] = env["LC_ALL"] = "C"
    env.setdefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
    return env


# Settings every private instance starts from; extra_main_cf overrides them.
# Values containing {…} placeholders are filled in per instance.
BASE_MAIN_CF: Dict[str, str] = {
    "compatibility_level": "3.6",
    "queue_directory": "{queue_dir}",
    "data_directory": "{data_dir}",
    "command_directory": "{command_directory}",
    "daemon_directory": "{daemon_directory}",
    "shlib_directory": "{shlib_directory}",
    "meta_directory": "{meta_directory}",
    "mail_owner": "postfix",
    "setgid_group": "postdrop",
    "inet_interfaces": "{inet_interfaces}",
    "inet_protocols": "{inet_protocols}",
    "myhostname": "{myhostname}",
    "mydomain": "{myhostname}",
    "myorigin": "$myhostname",
    "mydestination": "",
    "local_recipient_maps": "",
    "relay_domains": "",
    "relayhost": "",
    "mynetworks": "127.0.0.0/8 [::1]/128",
    "alias_maps": "",
    "alias_database": "",
    "biff": "no",
    "append_dot_mydomain": "no",
    "smtputf8_enable": "no",
    # No DNS, ever: the resolver configured on CI machines is not on loopback.
    "smtp_dns_support_level": "disabled",
    "lmtp_dns_support_level": "disabled",
    "smtp_host_lookup": "native",
    "lmtp_host_lookup": "native",
    "smtpd_peername_lookup": "no",
    "smtp_address_preference": "ipv4",
    # Logging to a private file through the postlog service.
    "maillog_file": "{maillog}",
    # Postfix refuses a maillog_file outside these prefixes (default: /var,
    # /dev/stdout).
    "maillog_file_prefixes": "{base_dir}",
    "syslog_name": "postfix/{name}",
    "smtp_tls_loglevel": "1",
    "smtpd_tls_loglevel": "1",
    # Fast retries so deferred mail is re-tried within a test's time.
    "queue_run_delay": "1s",
    "minimal_backoff_time": "1s",
    "maximal_backoff_time": "2s",
    "delay_warning_time": "0h",
    "maximal_queue_lifetime": "1h",
    "bounce_queue_lifetime": "1h",
    "smtp_connect_timeout": "5s",
    "smtp_helo_timeout": "20s",
    "in_flow_delay": "0",
    "smtpd_error_sleep_time": "0",
    "smtpd_banner": "$myhostname ESMTP",
    "notify_classes": "",
    "smtpd_tls_security_level": "",
}

# master.cf: nothing chrooted (no files to copy into the queue dir), the
# public smtpd only on loopback, postlog for maillog_file.
MASTER_CF_SERVICES = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
        -o syslog_name=postfix/{name}/$service_name
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def build_message(mail_from: str, rcpts: Union[str, Sequence[str]],
                  body: str = "test message\n", subject: Optional[str] = None,
                  headers: Optional[Mapping[str, str]] = None) -> bytes:
    """A small RFC 5322 message (CRLF-free; sendmail/smtplib fix line ends)."""
    if isinstance(rcpts, str):
        rcpts = [rcpts]
    hdrs = {
        "From": "<%s>" % mail_from if mail_from else "<>",
        "To": ", ".join("<%s>" % r for r in rcpts),
        "Subject": subject if subject is not None else "test to " + ", ".join(rcpts),
        "Date": email.utils.formatdate(localtime=False),
        "Message-ID": email.utils.make_msgid(domain="mtaroute.test"),
    }
    if headers:
        hdrs.update(headers)
    text = "".join("%s: %s\n" % kv for kv in hdrs.items()) + "\n" + body
    if not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8")


def _render_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _parse_main_cf(text: str) -> Dict[str, str]:
    """Parse main.cf text (comments, continuation lines) into name -> value."""
    out: Dict[str, str] = {}
    current = None
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if raw[0] in " \t":
            if current is None:
                raise PostfixError("main.cf continuation line without a parameter: %r" % raw)
            out[current] = (out[current] + " " + raw.strip()).strip()
            continue
        if "=" not in raw:
            raise PostfixError("not a main.cf 'name = value' line: %r" % raw)
        name, value = raw.split("=", 1)
        current = name.strip()
        out[current] = value.strip()
    return out


class PostfixInstance:
    """A private Postfix instance living under *tmpdir*.

    PostfixInstance(tmpdir, extra_main_cf=None, files=None, smtpd_port=None,
                    bind_address=None, *, name='postfix', ipv6=False,
                    extra_master_cf='', myhostname='origin.test', maps=None)

    * ``extra_main_cf``: dict (values: str, int, bool -> yes/no, list ->
      comma-joined) or main.cf text; merged over :data:`BASE_MAIN_CF`, so
      any base setting can be overridden.  Use ``$config_directory`` in
      values to point at files of this instance (Postfix expands it), e.g.
      ``{'transport_maps': 'hash:$config_directory/transport'}``.
    * ``files``: name -> content (str/bytes, mode 0644), or
      (content, mode), or {'content': ..., 'mode': 0o600, 'postmap': 'hash'};
      written into the config dir (names may contain subdirectories).
    * ``maps``: name -> map type (or list of names for 'hash') to postmap
      right away.
    * ``smtpd_port``: port of the instance's smtpd (free one if None);
      ``smtpd_port=0`` means no inet smtpd at all.
    * ``bind_address``: sets smtp_bind_address (smtp_bind_address6 for an
      IPv6 address), the source address of outgoing SMTP.
    * ``ipv6``: also listen on [::1] and set inet_protocols = all.
    * ``extra_master_cf``: text appended to master.cf (e.g. the transports
      a generated configuration refers to).
    * ``myhostname``: two instances talking to each other need different
      names, or Postfix reports a mail loop.

    The constructor creates and populates the directories; ``start()`` (or
    ``with``) runs it; leaving the ``with`` block always stops it.
    """

    def __init__(self, tmpdir: str, extra_main_cf: Union[None, str, Mapping] = None,
                 files: Optional[Mapping] = None, smtpd_port: Optional[int] = None,
                 bind_address: Optional[str] = None, *, name: str = "postfix",
                 ipv6: bool = False, extra_master_cf: str = "",
                 myhostname: str = "origin.test",
                 maps: Union[None, Mapping[str, str], Iterable[str]] = None):
        if os.geteuid() != 0:
            raise PostfixError("a private Postfix instance needs root")
        if not re.match(r"^[A-Za-z0-9_.-]+$", name):
            raise PostfixError("instance name must be [A-Za-z0-9_.-]+: %r" % name)
        self._init_paths(tmpdir, name)
        self.ipv6 = ipv6
        self.smtpd_host = "127.0.0.1"
        self.smtpd_port = free_port("127.0.0.1") if smtpd_port is None else int(smtpd_port)
        if ipv6 and self.smtpd_port:
            # Same port on ::1; retry a few times if it is taken there.
            for _ in range(20):
                try:
                    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
                        s.bind(("::1", self.smtpd_port))
                    break
                except OSError:
                    if smtpd_port is not None:
                        raise
                    self.smtpd_port = free_port("127.0.0.1")
        self.bind_address = bind_address
        self.myhostname = myhostname
        self.extra_master_cf = extra_master_cf or ""

        # Directories: everything root-owned 0755 except what post-install
        # create-missing makes (queue subdirs, data dir) with Postfix owners.
        for d in (os.path.abspath(tmpdir), self.base_dir):
            os.makedirs(d, exist_ok=True)
            st = os.stat(d)
            if st.st_mode & 0o011 != 0o011:
                # The postfix user must be able to traverse to the queue.
                os.chmod(d, (st.st_mode | 0o711) & 0o7777)
        # postfix(1) chdirs to queue_directory before post-install runs, so
        # that one must exist; its subdirectories and data_directory are
        # made by "post-install create-missing" with Postfix's owners/modes.
        for d in (self.config_dir, self.queue_dir):
            os.makedirs(d, exist_ok=True)
            os.chown(d, 0, 0)
            os.chmod(d, 0o755)

        main = {k: v for k, v in BASE_MAIN_CF.items()}
        if isinstance(extra_main_cf, str):
            main.update(_parse_main_cf(extra_main_cf))
        elif extra_main_cf:
            main.update({k: _render_value(v) for k, v in extra_main_cf.items()})
        if bind_address:
            key = "smtp_bind_address6" if ":" in bind_address else "smtp_bind_address"
            if not main.get(key):
                main[key] = bind_address
        fill = {
            "queue_dir": self.queue_dir,
            "data_dir": self.data_dir,
            "maillog": self.maillog_path,
            "base_dir": self.base_dir,
            "name": self.name,
            "myhostname": myhostname,
            "inet_interfaces": "127.0.0.1, [::1]" if ipv6 else "127.0.0.1",
            "inet_protocols": "all" if ipv6 else "ipv4",
            "command_directory": _postconf_default("command_directory"),
            "daemon_directory": _postconf_default("daemon_directory"),
            "shlib_directory": _postconf_default("shlib_directory"),
            "meta_directory": _postconf_default("meta_directory"),
        }
        self.main_cf: Dict[str, str] = {
            k: (v.format(**fill) if k in BASE_MAIN_CF and v == BASE_MAIN_CF[k] else v)
            for k, v in main.items()}
        self._write_main_cf()
        self._write_master_cf()
        if files:
            for fname, spec in files.items():
                postmap_type = None
                mode = 0o644
                if isinstance(spec, Mapping):
                    content = spec.get("content", "")
                    mode = spec.get("mode", mode)
                    postmap_type = spec.get("postmap")
                elif isinstance(spec, tuple):
                    content, mode = spec
                else:
                    content = spec
                self.write_file(fname, content, mode)
                if postmap_type:
                    self.postmap(fname, postmap_type)
        if maps:
            items = maps.items() if isinstance(maps, Mapping) else ((m, "hash") for m in maps)
            for fname, mtype in items:
                self.postmap(fname, mtype)

    def _init_paths(self, tmpdir: str, name: str) -> None:
        self.name = name
        self.base_dir = os.path.realpath(os.path.join(os.path.abspath(tmpdir), name))
        if (self.base_dir == SYSTEM_CONFIG_DIR
                or self.base_dir.startswith(SYSTEM_CONFIG_DIR + "/")
                or self.base_dir.startswith("/var/spool/postfix")
                or self.base_dir.startswith("/var/lib/postfix")):
            raise PostfixError("refusing to use a system Postfix directory: %s" % self.base_dir)
        self.config_dir = os.path.join(self.base_dir, "config")
        self.queue_dir = os.path.join(self.base_dir, "queue")
        self.data_dir = os.path.join(self.base_dir, "data")
        self.maillog_path = os.path.join(self.base_dir, "maillog")
        self._master_pid = None
        self.start_output = ""

    @classmethod
    def existing(cls, tmpdir: str, name: str = "postfix") -> "PostfixInstance":
        """Handle on an instance created earlier under *tmpdir* (e.g. by a
        crashed test) without rewriting its files; useful to stop() it."""
        self = cls.__new__(cls)
        self._init_paths(tmpdir, name)
        self.smtpd_host = "127.0.0.1"
        self.smtpd_port = 0
        try:
            with open(os.path.join(self.config_dir, "master.cf")) as f:
                m = re.search(r"^127\.0\.0\.1:(\d+)\s+inet", f.read(), re.M)
                if m:
                    self.smtpd_port = int(m.group(1))
        except OSError:
            pass
        return self

    # ------------------------------------------------------------ config
    def path(self, name: str) -> str:
        """Absolute path of *name* inside the config dir."""
        p = os.path.normpath(os.path.join(self.config_dir, name))
        if not (p + "/").startswith(self.config_dir + "/"):
            raise PostfixError("file name escapes the config dir: %r" % name)
        return p

    def _write_main_cf(self) -> None:
        lines = ["# private mtaroute test instance %s; generated" % self.name]
        for k, v in self.main_cf.items():
            lines.append("%s = %s" % (k, v))
        self.write_file("main.cf", "\n".join(lines) + "\n", 0o644)

    def _write_master_cf(self) -> None:
        lines = ["# private mtaroute test instance %s; generated" % self.name]
        if self.smtpd_port:
            lines.append("127.0.0.1:%d inet n - n - - smtpd" % self.smtpd_port)
            if self.ipv6:
                lines.append("[::1]:%d inet n - n - - smtpd" % self.smtpd_port)
        body = MASTER_CF_SERVICES.format(name=self.name)
        self.write_file("master.cf", "\n".join(lines) + "\n" + body
                        + (self.extra_master_cf.rstrip("\n") + "\n"
                           if self.extra_master_cf else ""), 0o644)

    def write_file(self, name: str, content: Union[str, bytes], mode: int = 0o644) -> str:
        """Write *content* to config-dir file *name* (root-owned, *mode*)."""
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        if data and not data.endswith(b"\n"):
            data += b"\n"
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        os.chmod(p, mode)
        os.chown(p, 0, 0)
        _backdate(p)
        return p

    def postmap(self, name: str, type: str = "hash") -> str:
        """Run ``postmap -c CONFIG type:CONFIG/name``; the map file gets the
        source file's mode.  Returns the map spec (``type:/abs/path``)."""
        src = self.path(name)
        spec = "%s:%s" % (type, src)
        self._run([POSTMAP, "-c", self.config_dir, spec])
        mode = os.stat(src).st_mode & 0o777
        for suffix in (".db", ".lmdb", ".cdb"):
            if os.path.exists(src + suffix):
                os.chmod(src + suffix, mode)
        return spec

    def postmap_query(self, name: str, key: str, type: str = "hash") -> Optional[str]:
        """``postmap -q KEY type:CONFIG/name``: the value, or None if absent."""
        rc, out = _run_with_tty_stderr([POSTMAP, "-c", self.config_dir, "-q", key,
                                        "%s:%s" % (type, self.path(name))])
        if rc == 1:
            return None
        if rc != 0:
            raise PostfixError("postmap -q %s failed (%d):\n%s" % (key, rc, out))
        return out.rstrip("\n")

    def postconf_set(self, settings: Union[str, Mapping]) -> None:
        """Change main.cf settings (``postconf -c CONFIG -e``); call
        ``reload()`` afterwards if the instance is running."""
        if isinstance(settings, str):
            settings = _parse_main_cf(settings)
        args = ["%s=%s" % (k, _render_value(v)) for k, v in settings.items()]
        self._run([POSTCONF, "-c", self.config_dir, "-e"] + args)
        _backdate(self.path("main.cf"))
        self.main_cf.update({k: _render_value(v) for k, v in settings.items()})

    def postconf(self, name: str, expand: bool = True) -> str:
        """Value of main.cf parameter *name* (``postconf -h``; with
        ``expand``, ``-x`` expands $name references as Postfix would)."""
        flags = "-xh" if expand else "-h"
        return self._run([POSTCONF, "-c", self.config_dir, flags, name]).strip()

    def check(self) -> str:
        """``postfix -c CONFIG check``; returns its output (warnings), raises
        PostfixError if it fails."""
        return self._run([POSTFIX, "-c", self.config_dir, "check"])

    # --------------------------------------------------------- life cycle
    def start(self, timeout: float = 30.0) -> "PostfixInstance":
        """Start the private master (``postfix -c CONFIG start``)."""
        if self.running:
            return self
        rc, self.start_output = _run_with_tty_stderr(
            [POSTFIX, "-c", self.config_dir, "start"], timeout=timeout)
        if rc != 0:
            self._master_pid = self.master_pid()
            self.stop()
            raise PostfixError("postfix start failed (%d):\n%s\n--- maillog ---\n%s"
                               % (rc, self.start_output, self._log_tail()))
        deadline = time.monotonic() + timeout
        pid = None
        while time.monotonic() < deadline:
            pid = self.master_pid()
            if pid:
                break
            time.sleep(0.05)
        if not pid:
            raise PostfixError("master.pid did not appear:\n" + self._log_tail())
        self._master_pid = pid
        _track(self)
        if self.smtpd_port:
            while True:
                try:
                    with socket.create_connection((self.smtpd_host, self.smtpd_port), 1):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        self.stop()
                        raise PostfixError("smtpd did not listen on %s:%d\n%s"
                                           % (self.smtpd_host, self.smtpd_port,
                                              self._log_tail()))
                    time.sleep(0.05)
        return self

    def master_pid(self) -> Optional[int]:
        """PID from <queue>/pid/master.pid if that process is *our* master."""
        try:
            with open(os.path.join(self.queue_dir, "pid", "master.pid")) as f:
                pid = int(f.read().strip() or 0)
        except (OSError, ValueError):
            return None
        if pid <= 1 or not self._is_ours(pid, master=True):
            return None
        return pid

    @property
    def running(self) -> bool:
        """True while our master process is alive."""
        pid = self._master_pid or self.master_pid()
        return bool(pid) and _alive(pid) and self._is_ours(pid, master=True)

    def _is_ours(self, pid: int, master: bool = False) -> bool:
        """Is *pid* a process of this instance (MAIL_CONFIG == our dir)?"""
        try:
            with open("/proc/%d/environ" % pid, "rb") as f:
                env = f.read().split(b"\0")
            if master:
                exe = os.readlink("/proc/%d/exe" % pid)
                if os.path.basename(exe.replace(" (deleted)", "")) != "master":
                    return False
        except OSError:
            return False
        return ("MAIL_CONFIG=" + self.config_dir).encode() in env

    def _group_pids(self, pgid: int) -> List[int]:
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            try:
                if os.getpgid(pid) == pgid and pid != pgid and self._is_ours(pid):
                    pids.append(pid)
            except OSError:
                continue
        return pids

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the private master by its PID and wait until it and all its
        child processes are gone.  No-op if not running."""
        pid = self._master_pid or self.master_pid()
        self._master_pid = None
        _STARTED.discard(self)
        if not pid or not _alive(pid) or not self._is_ours(pid, master=True):
            return
        children = self._group_pids(pid)
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        leftovers = [p for p in [pid] + children + self._group_pids(pid) if _alive(p)]
        while leftovers and time.monotonic() < deadline:
            time.sleep(0.05)
            leftovers = [p for p in leftovers if _alive(p)]
        for p in leftovers:
            if self._is_ours(p):
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        end = time.monotonic() + 5
        while any(_alive(p) for p in leftovers) and time.monotonic() < end:
            time.sleep(0.05)
        still = [p for p in leftovers if _alive(p)]
        if still:
            raise PostfixError("processes of %s did not exit: %r" % (self.name, still))

    def reload(self, timeout: float = 10.0) -> None:
        """Re-read main.cf/master.cf: SIGHUP to our master, then wait for
        its "reload" log line.  Running daemons finish their current job
        with the old settings; new processes get the new ones."""
        pid = self._master_pid or self.master_pid()
        if not pid:
            raise PostfixError("instance %s is not running" % self.name)
        rx = r"/master\[%d\]: reload -- version" % pid
        before = len(re.findall(rx, self.log()))
        os.kill(pid, signal.SIGHUP)
        self.wait_log(rx, timeout, count=before + 1)

    def __enter__(self) -> "PostfixInstance":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------- mail
    def sendmail(self, mail_from: str, rcpts: Union[str, Sequence[str]],
                 body: str = "test message\n", *, subject: Optional[str] = None,
                 headers: Optional[Mapping[str, str]] = None,
                 raw: Optional[bytes] = None, timeout: float = 30.0) -> str:
        """Submit via ``/usr/sbin/sendmail -C CONFIG -f FROM -- RCPTS``
        (postdrop -> pickup).  Returns sendmail's output."""
        if isinstance(rcpts, str):
            rcpts = [rcpts]
        data = raw if raw is not None else build_message(mail_from, rcpts, body,
                                                         subject, headers)
        return self._run([SENDMAIL, "-C", self.config_dir, "-i", "-f", mail_from, "--"]
                         + list(rcpts), input=data, timeout=timeout)

    def smtp_connect(self, source_address: Optional[str] = None, *,
                     host: Optional[str] = None, helo: str = "client.test",
                     timeout: float = 15.0) -> smtplib.SMTP:
        """An smtplib.SMTP connected to this instance's smtpd (caller quits
        it), optionally from *source_address* (e.g. '127.0.0.2')."""
        if not self.smtpd_port:
            raise PostfixError("instance %s has no smtpd" % self.name)
        host = host or self.smtpd_host
        src = (source_address, 0) if source_address else None
        # local_hostname is given so smtplib never calls socket.getfqdn().
        return smtplib.SMTP(host, self.smtpd_port, timeout=timeout,
                            local_hostname=helo, source_address=src)

    def smtp_send(self, mail_from: str, rcpts: Union[str, Sequence[str]],
                  body: str = "test message\n", *, source_address: Optional[str] = None,
                  subject: Optional[str] = None, headers: Optional[Mapping[str, str]] = None,
                  raw: Optional[bytes] = None, host: Optional[str] = None,
                  helo: str = "client.test", timeout: float = 15.0
                  ) -> Dict[str, Tuple[int, str]]:
        """Send one message over SMTP to this instance's smtpd.

        Returns the refused recipients as {rcpt: (code, text)} -- empty when
        all were accepted, all of them when every RCPT was refused (then no
        DATA is sent).  Other SMTP errors (MAIL/DATA refused) raise smtplib
        exceptions.
        """
        if isinstance(rcpts, str):
            rcpts = [rcpts]
        data = raw if raw is not None else build_message(mail_from, rcpts, body,
                                                         subject, headers)
        s = self.smtp_connect(source_address, host=host, helo=helo, timeout=timeout)
        try:
            try:
                refused = s.sendmail(mail_from, list(rcpts), data)
            except smtplib.SMTPRecipientsRefused as e:
                refused = e.recipients
            return {r: (code, msg.decode(errors="replace") if isinstance(msg, bytes) else msg)
                    for r, (code, msg) in refused.items()}
        finally:
            try:
                s.quit()
            except (smtplib.SMTPException, OSError):
                s.close()

    def flush(self) -> None:
        """Retry all deferred mail now (``postqueue -c CONFIG -f``)."""
        self._run([POSTQUEUE, "-c", self.config_dir, "-f"])

    def queue(self) -> List[dict]:
        """Queue contents as parsed ``postqueue -j`` objects."""
        out = self._run([POSTQUEUE, "-c", self.config_dir, "-j"])
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def queue_empty(self) -> bool:
        """True if the queue (incoming/active/deferred/hold/maildrop) is empty."""
        if self.queue():
            return False
        maildrop = os.path.join(self.queue_dir, "maildrop")
        return not (os.path.isdir(maildrop) and os.listdir(maildrop))

    def wait_queue_empty(self, timeout: float = 20.0) -> None:
        """Wait until queue_empty(); PostfixTimeout otherwise."""
        deadline = time.monotonic() + timeout
        while not self.queue_empty():
            if time.monotonic() > deadline:
                raise PostfixTimeout("queue of %s not empty after %.1fs: %r\n%s"
                                     % (self.name, timeout, self.queue(), self._log_tail()))
            time.sleep(0.1)

    # -------------------------------------------------------------- logs
    def log(self) -> str:
        """The instance's maillog so far ('' if nothing was logged yet)."""
        try:
            with open(self.maillog_path, "rb") as f:
                return f.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def _log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def wait_log(self, pattern: str, timeout: float = 20.0, count: int = 1) -> List[str]:
        """Wait until at least *count* maillog lines match regex *pattern*;
        returns the matching lines."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            hits = [l for l in self.log().splitlines() if rx.search(l)]
            if len(hits) >= count:
                return hits
            if time.monotonic() > deadline:
                raise PostfixTimeout("%s: %d line(s) matching %r after %.1fs (wanted %d)\n"
                                     "--- maillog tail ---\n%s"
                                     % (self.name, len(hits), pattern, timeout, count,
                                        self._log_tail()))
            time.sleep(0.1)

    _DELIVERY_RX = re.compile(
        r"(?P<program>\S+)\[\d+\]: (?P<queue_id>[0-9A-Za-z]+): to=<(?P<to>[^>]*)>,"
        r"(?: orig_to=<(?P<orig_to>[^>]*)>,)? relay=(?P<relay>[^,]*), .*?"
        r"dsn=(?P<dsn>[^,]*), status=(?P<status>\w+) \((?P<detail>.*)\)$")

    def deliveries(self, rcpt: Optional[str] = None) -> List[Dict[str, str]]:
        """Delivery attempts parsed from the maillog: dicts with program
        (e.g. 'postfix/t1/smtp'), queue_id, to, relay, dsn, status, detail."""
        out = []
        for line in self.log().splitlines():
            m = self._DELIVERY_RX.search(line)
            if m and (rcpt is None or m.group("to").lower() == rcpt.lower()):
                out.append({k: v for k, v in m.groupdict().items()})
        return out

    def wait_delivered(self, rcpt: str, timeout: float = 20.0, *, status: str = "sent",
                       count: int = 1) -> List[Dict[str, str]]:
        """Wait until the maillog shows *count* deliveries to *rcpt* with
        ``status=<status>`` ('sent', 'deferred', 'bounced'); returns them."""
        deadline = time.monotonic() + timeout
        while True:
            hits = [d for d in self.deliveries(rcpt) if d["status"] == status]
            if len(hits) >= count:
                return hits
            if time.monotonic() > deadline:
                seen = self.deliveries(rcpt)
                raise PostfixTimeout(
                    "%s: no status=%s for <%s> after %.1fs; attempts seen: %r\n"
                    "--- maillog tail ---\n%s"
                    % (self.name, status, rcpt, timeout,
                       [(d["relay"], d["status"], d["detail"]) for d in seen],
                       self._log_tail()))
            time.sleep(0.1)

    # ----------------------------------------------------------- helpers
    def _run(self, argv: List[str], input: Optional[bytes] = None,
             timeout: float = 60.0, check: bool = True) -> str:
        rc, out = _run_with_tty_stderr(argv, input=input, timeout=timeout)
        if check and rc != 0:
            if len(out) > 6000:
                out = out[:3000] + "\n[...]\n" + out[-3000:]
            raise PostfixError("%s failed (%d):\n%s" % (" ".join(argv), rc, out))
        return out

    def __repr__(self) -> str:
        return "<PostfixInstance %s %s smtpd=%s:%s>" % (
            self.name, self.config_dir, self.smtpd_host, self.smtpd_port)


# Instances started by this process, stopped at interpreter exit if a test
# died before its with-block could do it (e.g. BrokenPipeError, SIGTERM).
_STARTED: "weakref.WeakSet[PostfixInstance]" = weakref.WeakSet()
_EXIT_HOOKS_INSTALLED = False


def _stop_all_started() -> None:
    for inst in list(_STARTED):
        try:
            inst.stop()
        except Exception as e:  # never mask the real exit reason
            print("postfix_instance: could not stop %s: %s" % (inst.name, e),
                  file=sys.stderr)


def _on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def _track(inst: "PostfixInstance") -> None:
    global _EXIT_HOOKS_INSTALLED
    _STARTED.add(inst)
    if _EXIT_HOOKS_INSTALLED:
        return
    _EXIT_HOOKS_INSTALLED = True
    atexit.register(_stop_all_started)
    # Turn a plain SIGTERM (e.g. a test runner's timeout) into SystemExit so
    # with-blocks and the atexit hook run -- only if nobody set a handler.
    if (threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL):
        signal.signal(signal.SIGTERM, _on_sigterm)


NETNS_ENV = "MTAROUTE_PRIVATE_NETNS"


def isolate_network() -> bool:
    """Re-exec the running script in a new network namespace with only
    loopback up (``unshare --net``), unless already inside one.

    Call it first thing in a test's main.  Inside the namespace 127.0.0.0/8
    and ::1 work as usual but nothing else is reachable, so a routing
    mistake that makes Postfix (or glibc's resolver) look a name up in DNS
    fails at once with "network unreachable" instead of sending a query to
    the machine's resolver.  Returns True when running isolated, False if
    namespaces are unavailable (then the caller goes on without isolation).
    Never returns in the parent when the re-exec happens.
    """
    if os.environ.get(NETNS_ENV) == "1":
        return True
    unshare = "/usr/bin/unshare"
    ip = "/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else "/sbin/ip"
    if os.geteuid() != 0 or not os.path.exists(unshare) or not os.path.exists(ip):
        return False
    probe = subprocess.run([unshare, "--net", "--", ip, "link", "set", "lo", "up"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           stdin=subprocess.DEVNULL)
    if probe.returncode != 0:
        return False
    sys.stdout.flush()
    sys.stderr.flush()
    env = dict(os.environ)
    env[NETNS_ENV] = "1"
    script = os.path.abspath(sys.argv[0])
    os.execve(unshare, [unshare, "--net", "--", "/bin/sh", "-c",
                        ip + ' link set lo up && exec "$@"', "sh",
                        sys.executable, script] + sys.argv[1:], env)
    return True  # not reached


def _run_with_tty_stderr(argv: List[str], input: Optional[bytes] = None,
                         timeout: float = 60.0) -> Tuple[int, str]:
    """Run a Postfix command; return (exit status, stdout + stderr).

    Postfix programs log to stderr only when it is a terminal; otherwise
    (with maillog_file set) their warnings and fatal errors go to postlogd,
    which is not running before the instance is started.  So stderr is a
    pseudo-terminal here, and what it receives is returned with stdout.
    """
    master_fd, slave_fd = pty.openpty()
    chunks: List[bytes] = []
    done = threading.Event()

    def drain():
        while True:
            ready, _, _ = select.select([master_fd], [], [], 0.05)
            if not ready:
                if done.is_set():
                    break
                continue
            try:
                data = os.read(master_fd, 4096)
            except OSError:          # EIO once the last writer closed
                break
            if not data:
                break
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if input is not None
                                else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=slave_fd,
                                env=_clean_env(), cwd="/", start_new_session=True)
    except BaseException:
        os.close(master_fd)
        os.close(slave_fd)
        raise
    os.close(slave_fd)
    reader.start()
    try:
        try:
            out, _ = proc.communicate(input=input, timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise PostfixError("%s timed out after %.0fs" % (" ".join(argv), timeout))
    finally:
        # A daemon started by the command (the master) might keep the tty
        # open: stop reading once nothing more is pending.
        done.set()
        reader.join()
        os.close(master_fd)
    err = b"".join(chunks).replace(b"\r\n", b"\n")
    return proc.returncode, (out + err).decode("utf-8", errors="replace")


def _backdate(path: str, seconds: int = 3) -> None:
    """Set *path*'s mtime a few seconds into the past.

    Postfix's dict_load_file() (main.cf, master.cf) sleeps and re-reads a
    file as long as its mtime is in the current second ("file may still be
    being written"): ~0.3s per retry, up to 2s per command on a freshly
    written main.cf.  Nothing else in Postfix cares about these mtimes,
    except that a map's source must not be newer than its .db, which
    backdating the source only helps.
    """
    t = time.time() - seconds
    os.utime(path, (t, t))


def _alive(pid: int) -> bool:
    """True if *pid* exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    state = stat[stat.rfind(")") + 2:].split(" ", 1)[0]
    return state not in ("Z", "X")
