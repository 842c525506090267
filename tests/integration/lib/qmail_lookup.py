"""qmail-remote's smtproutes lookup, written from its documentation, and the policy's meaning.

Two independent halves that the qmail tests hold against each other:

- `SmtpRoutes` reads a control/smtproutes text the way qmail-remote does (qmail-remote(8),
  qmail-control(5), and FORMATS.md, which was checked against notqmail's qmail-remote):
  lines starting with '#' and empty lines are skipped; trailing spaces and tabs are stripped,
  leading whitespace and '\\r' are not; a line is `key:relay[:port]`, split at the first ':';
  a line without ':' is no route; keys compare ASCII case-insensitively; of two equal keys
  the LAST wins. For recipient domain `a.b.gmail.com` it tries `a.b.gmail.com`,
  `.b.gmail.com`, `.gmail.com`, `.com`, then the empty key (the default, `:relay`). An empty
  relay (`gmail.com:`) means normal MX delivery; so does no match at all. An empty port
  (`gmail.com:relay:`) is port 0; no port is 25. `[192.0.2.1]` and `192.0.2.1` are the same
  address.
- `expected_route` computes from the policy JSON alone where mail for a domain should go: the
  route naming the domain, else the route with "subdomains" naming its nearest parent, else
  the default. It shares no code with mtaroute.

`qmail_route(smtproutes_text, domain)` combines the first half into the answer a `mtaroute
route` test can compare with: relay host, port, and the line that decided.
"""
import re
from dataclasses import dataclass
from typing import Optional

DIRECT = "direct"
DEFAULT_PORT = 25


@dataclass(frozen=True)
class Destination:
    """Where qmail-remote connects: host None means the MX of the recipient domain."""
    host: Optional[str]
    port: int = DEFAULT_PORT

    @property
    def direct(self):
        return self.host is None

    def __str__(self):
        return "MX delivery" if self.direct else f"{self.host}:{self.port}"


MX_DELIVERY = Destination(None)


@dataclass(frozen=True)
class Decision:
    destination: Destination
    key: Optional[str]       # the smtproutes key that matched; None when none did
    line_number: int = 0     # 1-based line of that key (its last occurrence); 0 when none
    line: str = ""           # the line as qmail-remote saw it (trailing blanks stripped)


def _fold(text):
    """ASCII-only lower case, like qmail's case_diffb (non-ASCII bytes stay as they are)."""
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def parse_relay(field):
    """The relay part of a line (after `key:`) as qmail-remote uses it."""
    if field == "":
        return MX_DELIVERY
    host, colon, port = field.partition(":")
    if colon:
        digits = ""
        for c in port:  # scan_ulong: the leading decimal digits, 0 when there are none
            if not c.isdigit():
                break
            digits += c
        port_number = int(digits) if digits else 0
    else:
        port_number = DEFAULT_PORT
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return Destination(_fold(host), port_number)


class SmtpRoutes:
    """A control/smtproutes text, looked up as qmail-remote does."""

    def __init__(self, text):
        self.routes = {}  # folded key -> (destination, line number, line)
        for number, raw in enumerate(text.split("\n"), start=1):
            line = raw.rstrip(" \t")
            if not line or line.startswith("#"):
                continue
            key, colon, relay = line.partition(":")
            if not colon:
                continue
            self.routes[_fold(key)] = (parse_relay(relay), number, line)  # the last one wins

    def keys_tried(self, domain):
        """The keys qmail-remote tries for a recipient domain, in order."""
        keys = [domain]
        keys += [domain[i:] for i in range(1, len(domain)) if domain[i] == "."]
        keys.append("")
        return keys

    def lookup(self, domain):
        for key in self.keys_tried(_fold(domain)):
            if key in self.routes:
                destination, number, line = self.routes[key]
                return Decision(destination, key, number, line)
        return Decision(MX_DELIVERY, None)


def qmail_route(smtproutes_text, domain_or_address):
    """Where qmail-remote sends mail for a domain (or for an address: its part after the last
    '@'), and which smtproutes line says so. For a `mtaroute route` test to compare with."""
    domain = domain_or_address.rpartition("@")[2]
    return SmtpRoutes(smtproutes_text).lookup(domain)


def normalise_domain(name):
    """Lower case, one trailing dot dropped, non-ASCII labels to A-labels (Python's IDNA 2003
    codec: the same as UTS#46 for the names the tests use; not for 'ß' and the like)."""
    name = name.lower()
    if name.endswith("."):
        name = name[:-1]
    labels = []
    for label in name.split("."):
        labels.append(label if label.isascii() else label.encode("idna").decode("ascii"))
    return ".".join(labels)


def relay_destination(policy, relay_name):
    """The Destination of a relay name of the policy ("direct": MX delivery)."""
    if relay_name == DIRECT:
        return MX_DELIVERY
    relay = policy["relays"][relay_name]
    host = relay["host"]
    if not re.fullmatch(r"[0-9.]+", host):  # an IPv4 address stays as written
        host = normalise_domain(host)
    return Destination(host, relay.get("port", DEFAULT_PORT))


def expected_relay_name(policy, domain):
    """The relay name (or "direct") that the policy means for a recipient domain."""
    domain = normalise_domain(domain)
    routes = policy.get("routes", [])
    for route in routes:
        if domain in (normalise_domain(d) for d in route["domains"]):
            return route["relay"]
    labels = domain.split(".")
    for i in range(1, len(labels)):
        parent = ".".join(labels[i:])
        for route in routes:
            if route.get("subdomains") and parent in (normalise_domain(d)
                                                      for d in route["domains"]):
                return route["relay"]
    return policy.get("default", DIRECT)


def expected_route(policy, domain):
    """The Destination that the policy (JSON, comments stripped) means for a recipient domain."""
    return relay_destination(policy, expected_relay_name(policy, domain))
