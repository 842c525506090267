"""Recording SMTP sinks for mtaroute integration tests.

A :class:`Sink` is an aiosmtpd server on 127.0.0.1 (or ::1) on a free high
port that accepts mail and records, for every message, the envelope, the
client's source address, whether the session had switched to TLS with
STARTTLS, and the SASL AUTH mechanism/user/password the client used.  It can
also play a hostile or picky relay: require STARTTLS, require AUTH with a
given user/password (anything else gets ``535``), replace the greeting, or
answer every RCPT (or DATA) with a fixed, possibly multi-line, reply.

Requirements: Debian's /usr/bin/python3 with python3-aiosmtpd; ``openssl``
for the self-signed STARTTLS certificate.  Only loopback addresses are used
and nothing is ever resolved through DNS (the sink's own hostname is fixed).

Public API
----------
free_port(host='127.0.0.1') -> int
make_self_signed_cert(directory, cn='localhost', days=2) -> (certfile, keyfile)
ReceivedMessage     one accepted message: mail_from, rcpt_tos, data, peer,
                    peer_ip, helo, tls, tls_version, tls_cipher,
                    auth_mechanism, auth_user, auth_password, message, subject
AuthAttempt         one AUTH attempt: mechanism, user, password, success, peer, tls
Sink(host='127.0.0.1', port=None, *, starttls, require_starttls, auth, user,
     password, auth_require_tls, auth_mechanisms, auth_required, rcpt_reply,
     mail_reply, data_reply, greeting, hostname, tmpdir, cert)
    context manager (start()/stop()); .host .port .nexthop ('[127.0.0.1]:N')
    .messages .auth_attempts .rcpt_attempts .connections
    .wait_for(count, timeout) .messages_for(rcpt) .recipients() .clear()
SinkError, SinkTimeout (also an AssertionError)
"""

from __future__ import annotations

import email
import email.policy
import ipaddress
import logging
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

__all__ = [
    "SinkError",
    "free_port",
    "make_self_signed_cert",
    "ReceivedMessage",
    "AuthAttempt",
    "Sink",
    "SinkTimeout",
]


class _DropLoginDataNotice(logging.Filter):
    """aiosmtpd 1.4 itself sets the deprecated Session.login_data on every
    successful AUTH and logs a warning about it: noise in test output."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Session.login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_DropLoginDataNotice())

OPENSSL = shutil.which("openssl", path="/usr/bin:/bin") or "openssl"


class SinkError(Exception):
    """A sink could not be set up, or an expectation on it timed out."""


class SinkTimeout(SinkError, AssertionError):
    """wait_for() gave up; the message says what the sink saw instead."""


def free_port(host: str = "127.0.0.1") -> int:
    """Return a currently free TCP port on *host* (bind to port 0, close)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def make_self_signed_cert(directory: str, cn: str = "localhost",
                          days: int = 2) -> Tuple[str, str]:
    """Create a self-signed RSA certificate with openssl in *directory*.

    Returns (certfile, keyfile).  The key file is mode 0600.
    """
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    proc = subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-subj", "/CN=" + cn, "-days", str(days),
         "-keyout", key, "-out", cert],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, timeout=60)
    if proc.returncode != 0:
        raise SinkError("openssl req failed:\n" + proc.stdout.decode(errors="replace"))
    os.chmod(key, 0o600)
    return cert, key


def _decode(value) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="surrogateescape")
    return str(value)


def _crlf(reply: Optional[str]) -> Optional[str]:
    """Normalise a reply so each line ends in CRLF on the wire."""
    if reply is None:
        return None
    return "\r\n".join(reply.replace("\r\n", "\n").rstrip("\n").split("\n"))


@dataclass
class ReceivedMessage:
    """One message accepted by a sink."""
    mail_from: str
    rcpt_tos: List[str]
    data: bytes
    peer: Tuple                 # (source ip, source port) as the sink saw it
    helo: Optional[str]         # HELO/EHLO name the client gave
    tls: bool                   # session had done STARTTLS before DATA
    tls_version: Optional[str]  # e.g. 'TLSv1.3'
    tls_cipher: Optional[str]
    auth_mechanism: Optional[str]  # mechanism of the successful AUTH, if any
    auth_user: Optional[str]
    auth_password: Optional[str]
    mail_options: List[str] = field(default_factory=list)
    received_at: float = field(default_factory=time.time)

    @property
    def peer_ip(self) -> str:
        """Source IP address of the delivering client."""
        return self.peer[0]

    @property
    def message(self) -> email.message.EmailMessage:
        """The data parsed as an email message."""
        return email.message_from_bytes(self.data, policy=email.policy.default)

    @property
    def subject(self) -> Optional[str]:
        return self.message.get("Subject")


@dataclass
class AuthAttempt:
    """One AUTH attempt (successful or not) seen by a sink."""
    mechanism: str
    user: Optional[str]
    password: Optional[str]
    success: bool
    peer: Tuple
    tls: bool


class _Handler:
    """aiosmtpd handler recording into its Sink."""

    def __init__(self, sink: "Sink"):
        self.sink = sink

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        session.host_name = hostname
        return "250 {}".format(server.hostname)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.sink.mail_reply is not None:
            return _crlf(self.sink.mail_reply)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.sink._lock:
            self.sink.rcpt_attempts.append(address)
        if self.sink.rcpt_reply is not None:
            return _crlf(self.sink.rcpt_reply)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.sink.data_reply is not None:
            return _crlf(self.sink.data_reply)
        ssl_obj = None
        if session.ssl:
            ssl_obj = session.ssl.get("ssl_object")
        cipher = session.ssl.get("cipher") if session.ssl else None
        auth = session.auth_data if session.authenticated else None
        mech = getattr(session, "mtaroute_auth_mechanism", None) if auth else None
        msg = ReceivedMessage(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            data=bytes(envelope.original_content or envelope.content or b""),
            peer=tuple(session.peer) if session.peer else (),
            helo=getattr(session, "host_name", None),
            tls=session.ssl is not None,
            tls_version=ssl_obj.version() if ssl_obj is not None else None,
            tls_cipher=cipher[0] if cipher else None,
            auth_mechanism=mech,
            auth_user=_decode(getattr(auth, "login", None)) if auth else None,
            auth_password=_decode(getattr(auth, "password", None)) if auth else None,
            mail_options=list(envelope.mail_options),
        )
        with self.sink._cond:
            self.sink.messages.append(msg)
            self.sink._cond.notify_all()
        return "250 2.0.0 OK: queued as sink{}".format(len(self.sink.messages))


class _SinkSMTP(SMTP):
    """SMTP session that can replace its greeting and counts connections."""

    def __init__(self, handler, *, sink: "Sink", **kwargs):
        super().__init__(handler, **kwargs)
        self._mtaroute_sink = sink
        self._mtaroute_greeted = False

    def connection_made(self, transport):
        first = self.transport is None
        super().connection_made(transport)
        if first and self.session is not None and self.session.peer:
            with self._mtaroute_sink._lock:
                self._mtaroute_sink.connections.append(tuple(self.session.peer))

    async def push(self, status):
        # The first thing pushed on a connection is the 220 greeting.
        if not self._mtaroute_greeted:
            self._mtaroute_greeted = True
            if self._mtaroute_sink.greeting is not None:
                status = _crlf(self._mtaroute_sink.greeting)
        return await super().push(status)


class _SinkController(Controller):
    def __init__(self, handler, sink: "Sink", **kwargs):
        self._mtaroute_sink = sink
        super().__init__(handler, **kwargs)

    def factory(self):
        return _SinkSMTP(self.handler, sink=self._mtaroute_sink, **self.SMTP_kwargs)


class Sink:
    """Recording SMTP server on a loopback address and a free high port.

    Sink(host='127.0.0.1', port=None, *, starttls=False, require_starttls=False,
         auth=False, user=None, password=None, auth_require_tls=True,
         auth_mechanisms=('PLAIN', 'LOGIN'), auth_required=False,
         rcpt_reply=None, mail_reply=None, data_reply=None, greeting=None,
         hostname='sink.test', tmpdir=None, cert=None)

    * ``starttls``: offer STARTTLS with a self-signed cert (made with openssl
      in a private temp dir, or *cert* = (certfile, keyfile)).
      ``require_starttls`` implies it and refuses MAIL etc. before STARTTLS.
    * ``auth``: offer AUTH PLAIN/LOGIN.  If *user*/*password* are given only
      that pair succeeds; others get ``535 5.7.8``.  If both are None any
      credentials are accepted (and recorded).  Every attempt is recorded in
      ``auth_attempts``.  ``auth_require_tls`` (aiosmtpd's default True)
      only offers AUTH after STARTTLS; pass False to allow it in clear.
      ``auth_required`` refuses MAIL without a successful AUTH.
    * ``rcpt_reply`` / ``mail_reply`` / ``data_reply``: fixed reply to every
      RCPT / MAIL / end-of-DATA (e.g. ``"550-5.7.1 first\\n550 5.7.1 last"``;
      newlines become CRLF).  ``greeting`` replaces the whole 220 banner
      (e.g. ``"554 5.3.2 go away"`` or a multi-line ``220-``/``220 `` text).
      They are plain attributes and may be changed while running.

    ``messages`` lists :class:`ReceivedMessage` in arrival order;
    ``rcpt_attempts`` every RCPT address offered (also rejected ones);
    ``connections`` the peer (ip, port) of every connection accepted (the
    first one is the controller's own readiness probe).
    """

    def __init__(self, host: str = "127.0.0.1", port: Optional[int] = None, *,
                 starttls: bool = False, require_starttls: bool = False,
                 auth: bool = False, user: Optional[str] = None,
                 password: Optional[str] = None, auth_require_tls: bool = True,
                 auth_mechanisms=("PLAIN", "LOGIN"), auth_required: bool = False,
                 rcpt_reply: Optional[str] = None, mail_reply: Optional[str] = None,
                 data_reply: Optional[str] = None, greeting: Optional[str] = None,
                 hostname: str = "sink.test", tmpdir: Optional[str] = None,
                 cert: Optional[Tuple[str, str]] = None,
                 data_size_limit: Optional[int] = 32 * 1024 * 1024):
        if not ipaddress.ip_address(host).is_loopback:
            raise SinkError("sinks listen on loopback addresses only, not %r" % host)
        self.host = host
        self.port = port
        self.starttls = bool(starttls or require_starttls)
        self.require_starttls = bool(require_starttls)
        self.auth = bool(auth or auth_required or user is not None)
        self.user = user
        self.password = password
        self.auth_require_tls = auth_require_tls
        self.auth_mechanisms = tuple(m.upper() for m in auth_mechanisms)
        self.auth_required = auth_required
        self.rcpt_reply = rcpt_reply
        self.mail_reply = mail_reply
        self.data_reply = data_reply
        self.greeting = greeting
        self.hostname = hostname
        self.data_size_limit = data_size_limit
        self.messages: List[ReceivedMessage] = []
        self.auth_attempts: List[AuthAttempt] = []
        self.rcpt_attempts: List[str] = []
        self.connections: List[Tuple] = []
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._controller: Optional[_SinkController] = None
        self._own_tmpdir: Optional[str] = None
        self._tmpdir = tmpdir
        self._cert = cert
        self.certfile: Optional[str] = None
        self.keyfile: Optional[str] = None

    # ----------------------------------------------------------------- life
    def start(self) -> "Sink":
        """Start listening (picks a free port if none was given)."""
        if self._controller is not None:
            return self
        # Controller's hostname= is the listening address; the name in the
        # banner/EHLO is server_hostname (never derived from DNS here).
        kwargs = dict(server_hostname=self.hostname,
                      data_size_limit=self.data_size_limit,
                      enable_SMTPUTF8=False, decode_data=False,
                      ident="mtaroute test sink")
        if self.starttls:
            if self._cert:
                self.certfile, self.keyfile = self._cert
            else:
                if self._tmpdir is None:
                    self._own_tmpdir = tempfile.mkdtemp(prefix="mtaroute-sink-")
                    self._tmpdir = self._own_tmpdir
                d = tempfile.mkdtemp(prefix="sinkcert-", dir=self._tmpdir)
                self.certfile, self.keyfile = make_self_signed_cert(d)
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(self.certfile, self.keyfile)
            kwargs["tls_context"] = ctx
            kwargs["require_starttls"] = self.require_starttls
        if self.auth:
            kwargs["authenticator"] = self._authenticator
            kwargs["auth_require_tls"] = self.auth_require_tls
            kwargs["auth_required"] = self.auth_required
            excluded = [m for m in ("PLAIN", "LOGIN") if m not in self.auth_mechanisms]
            if excluded:
                kwargs["auth_exclude_mechanism"] = excluded
        last_error = None
        for _ in range(5):
            port = self.port or free_port(self.host)
            ctl = _SinkController(_Handler(self), self, hostname=self.host,
                                  port=port, ready_timeout=10, **kwargs)
            try:
                ctl.start()
            except OSError as e:        # port raced away; try another one
                last_error = e
                try:
                    ctl.stop(no_assert=True)
                except Exception:
                    pass
                if self.port:
                    break
                continue
            self._controller = ctl
            self.port = port
            return self
        self._cleanup_tmp()
        raise SinkError("could not start sink on %s: %s" % (self.host, last_error))

    def stop(self) -> None:
        """Stop the server (its controller thread) and remove own temp files."""
        ctl, self._controller = self._controller, None
        if ctl is not None:
            ctl.stop()
        self._cleanup_tmp()

    def _cleanup_tmp(self):
        if self._own_tmpdir:
            shutil.rmtree(self._own_tmpdir, ignore_errors=True)
            self._own_tmpdir = None
            self._tmpdir = None

    def __enter__(self) -> "Sink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._controller is not None

    # ------------------------------------------------------------- helpers
    @property
    def nexthop(self) -> str:
        """Postfix nexthop for this sink, e.g. ``[127.0.0.1]:2525``."""
        return "[%s]:%d" % (self.host, self.port)   # [::1]:N works for IPv6 too

    @property
    def address(self) -> Tuple[str, int]:
        return (self.host, self.port)

    def recipients(self) -> List[str]:
        """All envelope recipients of all accepted messages."""
        with self._lock:
            return [r for m in self.messages for r in m.rcpt_tos]

    def messages_for(self, rcpt: str) -> List[ReceivedMessage]:
        """Accepted messages that had *rcpt* (case-insensitive) as recipient."""
        r = rcpt.lower()
        with self._lock:
            return [m for m in self.messages if r in (x.lower() for x in m.rcpt_tos)]

    def clear(self) -> None:
        """Forget everything recorded so far."""
        with self._lock:
            self.messages.clear()
            self.auth_attempts.clear()
            self.rcpt_attempts.clear()
            self.connections.clear()

    def wait_for(self, count: int = 1, timeout: float = 20.0) -> List[ReceivedMessage]:
        """Wait until at least *count* messages arrived; return them.

        Raises SinkTimeout (an AssertionError) saying what arrived instead.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SinkTimeout(
                        "sink %s: expected %d message(s) within %.1fs, got %d: %r;"
                        " RCPTs offered: %r; AUTH attempts: %r"
                        % (self.nexthop, count, timeout, len(self.messages),
                           [(m.mail_from, m.rcpt_tos) for m in self.messages],
                           self.rcpt_attempts,
                           [(a.mechanism, a.user, a.success) for a in self.auth_attempts]))
                self._cond.wait(min(left, 0.5))
            return list(self.messages)

    # --------------------------------------------------------------- auth
    def _authenticator(self, server, session, envelope, mechanism, auth_data):
        user = password = None
        if isinstance(auth_data, LoginPassword):
            user = _decode(auth_data.login)
            password = _decode(auth_data.password)
        ok = mechanism.upper() in self.auth_mechanisms and user is not None
        if ok and self.user is not None:
            ok = user == self.user
        if ok and self.password is not None:
            ok = password == self.password
        with self._lock:
            self.auth_attempts.append(AuthAttempt(
                mechanism=mechanism, user=user, password=password, success=ok,
                peer=tuple(session.peer) if session.peer else (),
                tls=session.ssl is not None))
        if ok:
            session.mtaroute_auth_mechanism = mechanism
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)
