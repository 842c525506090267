#!/usr/bin/python3
"""Self-test of the Postfix/SMTP-sink test harness (not a project test).

Run as root with Debian's python3:  /usr/bin/python3 selftest_postfix_harness.py
Exits 0 when every check passed, 1 otherwise; prints one line per check.

What it proves, end to end, on loopback only (inside a private network
namespace when available, so nothing can leak to a real resolver):
  * sinks: STARTTLS, AUTH PLAIN/LOGIN with 535 for wrong credentials,
    greeting override, multi-line RCPT rejection;
  * a private Postfix routing by a hash transport table (gmail.com and
    .gmail.com -> sink 1, icloud.com -> sink 2 with mandatory TLS and SASL
    from sasl_passwd, everything else -> relayhost = sink 1), with
    smtp_bind_address visible as the sinks' peer address, submission both
    by sendmail and by SMTP, and a multi-line 550 turned into a bounce;
  * a second private Postfix as a relay with mynetworks from a file:
    127.0.0.2 may relay, 127.0.0.3 gets 554 5.7.1 Relay access denied;
  * stop() leaves no process of either instance behind.
"""

import os
import shutil
import smtplib
import ssl
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from postfix_instance import PostfixError, PostfixInstance, isolate_network  # noqa: E402
from smtp_sinks import Sink  # noqa: E402

SASL_USER = "mailer"
SASL_PASSWORD = "s3cr:et"
SOURCE_IP = "127.0.0.5"      # smtp_bind_address of the routing instance

PASSED = []
FAILED = []


def check(cond, what, detail=""):
    if cond:
        PASSED.append(what)
        print("ok      " + what, flush=True)
    else:
        FAILED.append(what)
        print("FAILED  " + what + (("\n        " + str(detail).replace("\n", "\n        "))
                                    if detail else ""), flush=True)
    return cond


def section(name, fn, *args):
    print("--- " + name, flush=True)
    t0 = time.monotonic()
    try:
        fn(*args)
    except Exception as e:  # one broken section must not hide the others
        FAILED.append(name)
        print("FAILED  %s: %s: %s" % (name, type(e).__name__, e), flush=True)
        traceback.print_exc()
    print("    (%s: %.1fs)" % (name, time.monotonic() - t0), flush=True)


def our_processes(tmp):
    """Live (non-zombie) processes whose MAIL_CONFIG lies under tmp."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % entry, "rb") as f:
                env = f.read().split(b"\0")
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        state = stat[stat.rfind(")") + 2:].split(" ", 1)[0]
        if state in ("Z", "X"):
            continue
        if any(e.startswith(b"MAIL_CONFIG=" + tmp.encode()) for e in env):
            found.append((int(entry), stat.split(" ", 2)[1]))
    return found


# ----------------------------------------------------------------- sinks
def sink_checks(tmp):
    unverified = ssl._create_unverified_context()
    with Sink(starttls=True, auth=True, user="u1", password="p:w", tmpdir=tmp,
              hostname="authsink.test") as s:
        c = smtplib.SMTP(s.host, s.port, timeout=10, local_hostname="client.test")
        c.ehlo()
        check(c.has_extn("starttls"), "sink offers STARTTLS")
        check(not c.has_extn("auth"), "sink hides AUTH before STARTTLS (auth_require_tls)")
        c.starttls(context=unverified)
        c.ehlo()
        check(c.has_extn("auth") and "PLAIN" in c.esmtp_features["auth"]
              and "LOGIN" in c.esmtp_features["auth"], "sink offers AUTH PLAIN LOGIN after TLS",
              c.esmtp_features)
        c.user, c.password = "u1", "wrong"
        try:
            c.auth("PLAIN", c.auth_plain)
            check(False, "wrong password gets 535")
        except smtplib.SMTPAuthenticationError as e:
            check(e.smtp_code == 535, "wrong password gets 535", e)
        c.user, c.password = "u1", "p:w"
        code, _ = c.auth("LOGIN", c.auth_login, initial_response_ok=False)
        check(code == 235, "right password over AUTH LOGIN gets 235", code)
        c.sendmail("a@client.test", ["b@dest.test"], b"Subject: direct\n\nhi\n")
        c.quit()
        msgs = s.wait_for(1, 5)
        m = msgs[0]
        check(m.tls and m.tls_version and m.auth_mechanism == "LOGIN"
              and m.auth_user == "u1" and m.auth_password == "p:w"
              and m.rcpt_tos == ["b@dest.test"] and m.peer_ip == "127.0.0.1"
              and m.helo == "client.test" and m.subject == "direct",
              "sink records TLS, AUTH mechanism/user/password, envelope, peer, HELO", m)
        check([(a.user, a.success) for a in s.auth_attempts] == [("u1", False), ("u1", True)],
              "sink records failed and successful AUTH attempts", s.auth_attempts)

    with Sink(greeting="554 5.3.2 sink closed for maintenance") as s:
        try:
            smtplib.SMTP(s.host, s.port, timeout=10, local_hostname="client.test")
            check(False, "greeting override is sent")
        except smtplib.SMTPConnectError as e:
            check(e.smtp_code == 554 and b"maintenance" in e.smtp_error,
                  "greeting override is sent", e)

    with Sink(require_starttls=True) as s:
        c = smtplib.SMTP(s.host, s.port, timeout=10, local_hostname="client.test")
        code, msg = c.mail("a@client.test")
        check(code == 530, "require_starttls refuses MAIL before STARTTLS", (code, msg))
        c.close()


# ----------------------------------------------------- routing instance
def routing_checks(tmp, s1, s2, s_rej):
    hop1, hop2, hop_rej = s1.nexthop, s2.nexthop, s_rej.nexthop
    transport = ("gmail.com   smtp:%s\n"
                 ".gmail.com  smtp:%s\n"
                 "icloud.com  smtp:%s\n"
                 "reject.test smtp:%s\n" % (hop1, hop1, hop2, hop_rej))
    files = {
        "transport": {"content": transport, "postmap": "hash"},
        "sasl_passwd": {"content": "%s %s:%s\n" % (hop2, SASL_USER, SASL_PASSWORD),
                        "mode": 0o600, "postmap": "hash"},
        "tls_policy": {"content": "%s encrypt\n" % hop2, "postmap": "hash"},
    }
    main_cf = {
        "relayhost": hop1,
        "transport_maps": "hash:$config_directory/transport",
        "smtp_sasl_auth_enable": True,
        "smtp_sasl_password_maps": "hash:$config_directory/sasl_passwd",
        "smtp_sasl_security_options": "noanonymous",
        "smtp_tls_policy_maps": "hash:$config_directory/tls_policy",
    }
    pf = PostfixInstance(tmp, main_cf, files, bind_address=SOURCE_IP, name="router")
    out = pf.check()
    check(out.strip() == "", "postfix check of the routing instance is clean", out)
    check(oct(os.stat(pf.path("sasl_passwd")).st_mode & 0o777) == "0o600"
          and oct(os.stat(pf.path("sasl_passwd.db")).st_mode & 0o777) == "0o600",
          "sasl_passwd and its .db are mode 0600")
    check(pf.postmap_query("transport", ".gmail.com") == "smtp:" + hop1
          and pf.postmap_query("transport", "yahoo.com") is None,
          "postmap_query reads the transport table")
    with pf:
        check(pf.running and pf.master_pid(), "routing instance started")
        pf.sendmail("sender@origin.test", "user@gmail.com", subject="to gmail")
        refused = pf.smtp_send("sender@origin.test", "user@a.b.gmail.com", subject="to sub")
        check(refused == {}, "smtpd of the routing instance accepts the submission", refused)
        pf.sendmail("sender@origin.test", "user@icloud.com", subject="to icloud")
        pf.sendmail("sender@origin.test", "user@elsewhere.test", subject="via relayhost")
        pf.sendmail("sender@origin.test", "user@reject.test", subject="to reject")

        for rcpt in ("user@gmail.com", "user@a.b.gmail.com", "user@icloud.com",
                     "user@elsewhere.test"):
            d = pf.wait_delivered(rcpt, 20)[0]
            check(True, "maillog: %s status=sent via %s" % (rcpt, d["relay"]))
        bounced = pf.wait_delivered("user@reject.test", 20, status="bounced")[0]
        check("550-5.7.1 first line" in bounced["detail"]
              and "550 5.7.1 last line" in bounced["detail"],
              "multi-line 550 from a sink ends as a bounce with both lines",
              bounced["detail"])
        # The DSN for the bounce goes to sender@origin.test via relayhost (s1).
        s1.wait_for(4, 20)
        s2.wait_for(1, 20)

        def rcpts(sink):
            return sorted(r for m in sink.messages for r in m.rcpt_tos)
        check(rcpts(s1) == ["sender@origin.test", "user@a.b.gmail.com",
                            "user@elsewhere.test", "user@gmail.com"],
              "sink 1 got gmail.com, a.b.gmail.com, the relayhost mail and the DSN",
              rcpts(s1))
        check(rcpts(s2) == ["user@icloud.com"], "sink 2 got only icloud.com", rcpts(s2))
        check(s_rej.messages == [] and s_rej.rcpt_attempts == ["user@reject.test"],
              "rejecting sink saw the RCPT and accepted nothing", s_rej.rcpt_attempts)
        m2 = s2.messages[0]
        check(m2.tls and m2.tls_version is not None,
              "sink 2 saw STARTTLS (%s %s)" % (m2.tls_version, m2.tls_cipher))
        check(m2.auth_user == SASL_USER and m2.auth_password == SASL_PASSWORD
              and m2.auth_mechanism in ("PLAIN", "LOGIN"),
              "sink 2 saw AUTH %s %s/%s" % (m2.auth_mechanism, m2.auth_user, m2.auth_password),
              (m2.auth_mechanism, m2.auth_user, m2.auth_password))
        check(all(not m.tls and m.auth_user is None for m in s1.messages),
              "sink 1 saw neither TLS nor AUTH")
        peers = {m.peer_ip for m in s1.messages + s2.messages}
        check(peers == {SOURCE_IP}, "sinks see smtp_bind_address %s as source" % SOURCE_IP,
              peers)
        check(any("Untrusted TLS connection established to 127.0.0.1" in l
                  for l in pf.log().splitlines()), "maillog shows the TLS session")
        pf.wait_queue_empty(10)
        check(pf.queue_empty(), "queue empty after delivery")
        pid = pf.master_pid()
    check(not pf.running and _gone(pid), "routing master %d gone after stop" % pid)


def _gone(pid):
    """No such process, or only a zombie left for PID 1 to reap."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return True
    return stat[stat.rfind(")") + 2:].split(" ", 1)[0] in ("Z", "X")


# ------------------------------------------------------- relay instance
def relay_checks(tmp, s3):
    files = {"mynetworks": "127.0.0.2/32\n[::1]/128\n"}
    main_cf = """
        mynetworks = $config_directory/mynetworks
        smtpd_relay_restrictions = permit_mynetworks,
            reject_unauth_destination
        relayhost = %s
    """.replace("\n        ", "\n") % s3.nexthop
    with PostfixInstance(tmp, main_cf, files, name="relay", myhostname="relay.test",
                         ipv6=True) as pf:
        check(pf.postconf("mynetworks") == pf.path("mynetworks"),
              "mynetworks points at the file", pf.postconf("mynetworks"))
        refused = pf.smtp_send("someone@client.test", "friend@relayed.example",
                               source_address="127.0.0.2", subject="from .2")
        check(refused == {}, "127.0.0.2 (in mynetworks) may relay", refused)
        msgs = s3.wait_for(1, 20)
        check(msgs[0].rcpt_tos == ["friend@relayed.example"] and msgs[0].peer_ip == "127.0.0.1",
              "relayed mail reached sink 3", msgs[0])
        refused = pf.smtp_send("someone@client.test", "friend@denied.example",
                               source_address="127.0.0.3", subject="from .3")
        code, text = refused.get("friend@denied.example", (None, ""))
        check(code == 554 and text.startswith("5.7.1 ") and "Relay access denied" in text,
              "127.0.0.3 (not in mynetworks) gets 554 5.7.1 Relay access denied",
              refused)
        pf.wait_log(r"NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.3\]: 554 5\.7\.1", 10)
        check(True, "relay maillog shows the reject for 127.0.0.3")
        # ::1 is in mynetworks too, and the instance listens there.
        refused = pf.smtp_send("someone@client.test", "v6@relayed.example",
                               host="::1", subject="from ::1")
        check(refused == {}, "[::1] (in mynetworks) may relay over IPv6", refused)
        s3.wait_for(2, 20)
        check(len(s3.messages) == 2, "no mail from 127.0.0.3 reached sink 3",
              [m.rcpt_tos for m in s3.messages])


def main():
    isolated = isolate_network()
    if os.geteuid() != 0:
        print("SKIP: needs root (private Postfix instances)")
        return 77
    print("network namespace: %s" % ("private (loopback only)" if isolated
                                     else "NOT isolated (unshare unavailable)"))
    started = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="mtaroute-pfharness-")
    try:
        section("sinks", sink_checks, tmp)
        with Sink(hostname="sink1.test") as s1, \
                Sink(require_starttls=True, auth=True, user=SASL_USER,
                     password=SASL_PASSWORD, hostname="sink2.test", tmpdir=tmp) as s2, \
                Sink(hostname="reject.sink.test",
                     rcpt_reply="550-5.7.1 first line\n550 5.7.1 last line") as s_rej:
            section("routing instance", routing_checks, tmp, s1, s2, s_rej)
        with Sink(hostname="sink3.test") as s3:
            section("relay instance", relay_checks, tmp, s3)
        left = our_processes(tmp)
        check(not left, "no process of the private instances left", left)
    finally:
        # Belt and braces: if a section died before its with-block exited.
        for name in ("router", "relay"):
            cfg = os.path.join(tmp, name, "config")
            if os.path.isdir(cfg):
                try:
                    PostfixInstance.existing(tmp, name).stop()
                except (PostfixError, OSError) as e:
                    print("cleanup of %s: %s" % (name, e))
        if os.environ.get("KEEP_TMP"):
            print("kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.monotonic() - started
    print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
    print("selftest time: %.1fs" % elapsed)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
