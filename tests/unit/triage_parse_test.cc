// Unit tests for triage's log readers: Postfix (classic and RFC 3339 stamps, short and long
// queue ids, program names, tls= of Postfix 3.11, error/greeting/connection forms, non-final
// MX lines), Exim (4.99 " : " and older ": ", 16- and 23-character ids), qmail (TAI64N,
// '_' encoding, the open deliveries map), timestamps, and the streaming gzip line reader.
#include <zlib.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "triage/line_reader.h"
#include "triage/log_parser.h"

namespace mtaroute {
namespace {

struct Expect {
  std::string line;
  bool parsed = false;
  std::string status = {};  // sent, deferred, bounced
  std::string domain = {}, host = {}, address = {};
  int port = 0;
  std::string reply = {};  // prefix of the reply, or "-" for no reply
  std::string stamp = {};
};

std::string StatusName(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::kSent:
      return "sent";
    case DeliveryStatus::kDeferred:
      return "deferred";
    case DeliveryStatus::kBounced:
      return "bounced";
  }
  return "?";
}

void CheckLines(const std::vector<Expect>& cases) {
  for (const Expect& c : cases) {
    INFO(c.line);
    LogParser parser(YearRule{2026, 0});
    Delivery d;
    bool parsed = parser.Parse(c.line, d);
    REQUIRE(parsed == c.parsed);
    if (!parsed) continue;
    CHECK(StatusName(d.status) == c.status);
    CHECK(std::string(d.domain) == c.domain);
    CHECK(std::string(d.host) == c.host);
    CHECK(std::string(d.address) == c.address);
    CHECK(d.port == c.port);
    if (c.reply == "-") {
      CHECK(d.no_reply);
    } else {
      CHECK(std::string(d.reply).starts_with(c.reply));
      CHECK(!std::string(d.reply).ends_with("command)"));
    }
    CHECK(d.stamp.ToString() == c.stamp);
  }
}

const std::string kSaid = "said: 550 5.7.1 no (in reply to RCPT TO command))";

TEST_CASE("Postfix delivery lines are read by field name", "[triage]") {
  const std::string pfx = "Nov 28 10:00:00 mail postfix/smtp[123]: 3D770111AF50: ";
  CheckLines({
      {pfx +
           "to=<u@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.1.27]:25, delay=1, "
           "delays=0.1/0/0.4/0.5, dsn=5.7.1, status=bounced (host gmail-smtp-in.l.google.com"
           "[142.250.1.27] " +
           kSaid,
       true, "bounced", "gmail.com", "gmail-smtp-in.l.google.com", "142.250.1.27", 25,
       "550 5.7.1 no", "2026-11-28T10:00:00"},
      // Postfix 3.11: tls= between delays= and dsn=; orig_to= with a comma; conn_use=.
      {"2026-11-28T10:00:00.123456+09:00 mail postfix-out/smtp[9]: 4Tp6VT0vCvz22WHQ: "
       "to=<U@Yahoo.COM>, orig_to=<\"a, b\"@example.co.jp>, relay=mta5.am0.yahoodns.net"
       "[67.195.204.72]:25, conn_use=2, delay=3, delays=1/0/1/1, tls=TLSv1.3:TLS_AES_256_GCM_"
       "SHA384:256, dsn=4.7.0, status=deferred (host mta5.am0.yahoodns.net[67.195.204.72] said:"
       " 421 4.7.0 [TSS04] x (in reply to MAIL FROM command))",
       true, "deferred", "yahoo.com", "mta5.am0.yahoodns.net", "67.195.204.72", 25,
       "421 4.7.0 [TSS04] x", "2026-11-28T10:00:00+09:00"},
      // 5xx greeting: deferred 4.x.x; one-digit day; IPv6.
      {"Nov  3 09:05:07 mail postfix/smtp[1]: 1A2B3C: to=<u@gmx.de>, relay=mx00.gmx.net"
       "[2001:db8::25]:25, delay=0.1, delays=0/0/0/0, dsn=4.0.0, status=deferred (host "
       "mx00.gmx.net[2001:db8::25] refused to talk to me: 554-gmx.net Nemesis 554 go away)",
       true, "deferred", "gmx.de", "mx00.gmx.net", "2001:db8::25", 25, "554-gmx.net Nemesis",
       "2026-11-03T09:05:07"},
      {pfx + "to=<u@drop.test>, relay=127.0.0.1[127.0.0.1]:2525, delay=0.1, delays=0/0/0/0, "
             "dsn=4.4.2, status=deferred (lost connection with 127.0.0.1[127.0.0.1] while "
             "performing the EHLO handshake)",
       true, "deferred", "drop.test", "127.0.0.1", "127.0.0.1", 2525, "-", "2026-11-28T10:00:00"},
      {pfx + "to=<u@x.example>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, "
             "status=deferred (connect to mx.x.example[192.0.2.1]:25: Connection refused)",
       true, "deferred", "x.example", "mx.x.example", "192.0.2.1", 0, "-", "2026-11-28T10:00:00"},
      {pfx + "to=<u@x.example>, relay=mx.x.example[192.0.2.1]:25, delay=300, delays=0/0/0/300,"
             " dsn=4.4.2, status=deferred (conversation with mx.x.example[192.0.2.1] timed out "
             "while sending end of data -- message may be sent more than once)",
       true, "deferred", "x.example", "mx.x.example", "192.0.2.1", 25, "-", "2026-11-28T10:00:00"},
      // postfix/error: the destination is marked dead, the reason repeated.
      {"Nov 28 10:00:00 mail postfix/error[77]: ABCDEF: to=<u@gmx.de>, relay=none, delay=9, "
       "delays=9/0/0/0, dsn=4.0.0, status=deferred (delivery temporarily suspended: host "
       "mx00.gmx.net[212.227.15.9] refused to talk to me: 554-gmx.net IP address is black "
       "listed)",
       true, "deferred", "gmx.de", "mx00.gmx.net", "212.227.15.9", 0, "554-gmx.net IP",
       "2026-11-28T10:00:00"},
      {pfx + "to=<u@ok.test>, relay=127.0.0.1[127.0.0.1]:2525, delay=0.1, delays=0/0/0/0, "
             "dsn=2.0.0, status=sent (250 2.0.0 OK: queued as sink1)",
       true, "sent", "ok.test", "127.0.0.1", "127.0.0.1", 2525, "", "2026-11-28T10:00:00"},
      // A non-final MX's soft error: no to=.
      {pfx + "host alt1.gmail-smtp-in.l.google.com[142.250.2.27] said: 421-4.7.0 try "
             "later (in reply to end of DATA command)",
       true, "deferred", "", "alt1.gmail-smtp-in.l.google.com", "142.250.2.27", 0,
       "421-4.7.0 try later", "2026-11-28T10:00:00"},
      // Not remote deliveries with a reply: DNS, local, expired, other programs.
      {pfx + "to=<s@origin.test>, relay=none, delay=0, delays=0/0/0/0, dsn=4.4.4, "
             "status=deferred (unable to look up host origin.test: Temporary failure)",
       false},
      {"Nov 28 10:00:00 mail postfix/local[5]: ABC: to=<root@mail.example>, relay=local, "
       "delay=0, delays=0/0/0/0, dsn=5.1.1, status=bounced (unknown user: \"root\")",
       false},
      {"Nov 28 10:00:00 mail postfix/qmgr[5]: ABC: from=<a@b.c>, status=expired, returned to "
       "sender",
       false},
      {"Nov 28 10:00:00 mail postfix/smtpd[5]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 554", false},
      {"Nov 28 10:00:00 mail kernel: [ 1.0] usb 1-1: new device", false},
      {"garbage", false},
      {"", false},
  });
}

TEST_CASE("Exim mainlog lines: both separators, both id lengths", "[triage]") {
  const std::string reply =
      "550-5.7.1 [203.0.113.5] very low reputation\\n550 5.7.1 of the "
      "sending IP address. si1 - gsmtp";
  CheckLines({
      {"2026-11-28 10:00:00 1vBcDe-000Abc-Fg ** u@gmail.com R=dnslookup T=remote_smtp "
       "H=gmail-smtp-in.l.google.com [142.250.1.27] : SMTP error from remote mail server after "
       "RCPT TO:<u@gmail.com>: " +
           reply,
       true, "bounced", "gmail.com", "gmail-smtp-in.l.google.com", "142.250.1.27", 0,
       "550-5.7.1 [203.0.113.5]", "2026-11-28T10:00:00"},
      {"2026-11-28 10:00:00.123 [4711] 1vBcDe-00000001ab1-abcd ** u@gmail.com <a@b.example> "
       "R=dnslookup T=remote_smtp H=gmail-smtp-in.l.google.com [142.250.1.27]:25: SMTP error "
       "from remote mail server after end of data: " +
           reply,
       true, "bounced", "gmail.com", "gmail-smtp-in.l.google.com", "142.250.1.27", 25,
       "550-5.7.1 [203.0.113.5]", "2026-11-28T10:00:00"},
      {"2026-11-28 10:00:00 +0900 1vBcDe-000Abc-Fg == u@yahoo.com R=dnslookup T=remote_smtp "
       "defer (-44) H=mta5.am0.yahoodns.net [67.195.204.72]: SMTP error from remote mail server"
       " after MAIL FROM:<s@example.co.jp> SIZE=1234: 421 4.7.0 [TSS04] Messages deferred",
       true, "deferred", "yahoo.com", "mta5.am0.yahoodns.net", "67.195.204.72", 0,
       "421 4.7.0 [TSS04]", "2026-11-28T10:00:00+09:00"},
      {"2026-11-28 10:00:00 1vBcDe-000Abc-Fg == u@x.example R=dnslookup T=remote_smtp defer "
       "(-46) H=mx.x.example [192.0.2.1]: SMTP timeout after RCPT TO:<u@x.example>",
       true, "deferred", "x.example", "mx.x.example", "192.0.2.1", 0, "-", "2026-11-28T10:00:00"},
      {"2026-11-28 10:00:00 1vBcDe-000Abc-Fg => u@gmail.com R=dnslookup T=remote_smtp "
       "H=gmail-smtp-in.l.google.com [142.250.1.27] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 "
       "CV=yes C=\"250 2.0.0 OK 1764324000 si1 - gsmtp\"",
       true, "sent", "gmail.com", "gmail-smtp-in.l.google.com", "142.250.1.27", 0, "",
       "2026-11-28T10:00:00"},
      {"2026-11-28 10:00:00 1vBcDe-000Abc-Fg => root <root@mail.example> R=local_user "
       "T=local_delivery",
       false},
      {"2026-11-28 10:00:00 1vBcDe-000Abc-Fg == u@x.example R=dnslookup T=remote_smtp defer "
       "(-53): retry time not reached for any host",
       false},
      {"2026-11-28 10:00:00 1vBcDe-000Abc-Fg ** u@nowhere.example: Unrouteable address", false},
      {"2026-11-28 10:00:00 1vBcDe-000Abc-Fg <= s@example.co.jp H=web01 [10.0.0.1] P=esmtp", false},
      {"2026-11-28 10:00:00 Start queue run: pid=123", false},
  });
}

TEST_CASE("qmail-send lines through multilog", "[triage]") {
  LogParser parser(YearRule{2026, 0});
  Delivery d;
  const std::string stamp = "@4000000069280c2a1d4c3b20 ";
  CHECK(!parser.Parse(stamp + "new msg 123", d));
  CHECK(!parser.Parse(stamp + "starting delivery 5: msg 123 to remote U@Gmail.com", d));
  CHECK(!parser.Parse(stamp + "starting delivery 6: msg 123 to local root@mail.example", d));
  CHECK(parser.open_qmail_deliveries() == 1);
  REQUIRE(parser.Parse(
      stamp + "delivery 5: failure: 64.233.188.26_does_not_like_recipient./Remote_host_said:_"
              "550-5.7.1_[203.0.113.5______19]_Our_system_has_detected_that_this_message_is/"
              "550-5.7.1_likely_suspicious_due_to_the_very_low_reputation_of_the_sending_IP/"
              "550_5.7.1_address._si1_-_gsmtp/Giving_up_on_64.233.188.26./",
      d));
  CHECK(d.status == DeliveryStatus::kBounced);
  CHECK(d.recipient == "U@Gmail.com");
  CHECK(d.domain == "gmail.com");
  CHECK(d.address == "64.233.188.26");
  CHECK(d.reply.starts_with("550-5.7.1 [203.0.113.5      19] Our system"));
  CHECK(d.reply.ends_with("address. si1 - gsmtp"));
  CHECK(d.stamp.ToString() == "2025-11-27T08:30:24Z");
  CHECK(parser.open_qmail_deliveries() == 0);
  CHECK(!parser.Parse(stamp + "delivery 6: success: did_0+0+1/", d));  // local: not followed
  CHECK(!parser.Parse(stamp + "delivery 99: failure: unknown_delivery/", d));

  CHECK(!parser.Parse(stamp + "starting delivery 7: msg 124 to remote a@yahoo.com", d));
  REQUIRE(parser.Parse(stamp + "delivery 7: deferral: Connected_to_67.195.204.72_but_greeting_"
                               "failed./Remote_host_said:_554_go_away/",
                       d));
  CHECK(d.status == DeliveryStatus::kDeferred);
  CHECK(d.address == "67.195.204.72");
  CHECK(d.reply == "554 go away");
  CHECK(!parser.Parse(stamp + "starting delivery 8: msg 125 to remote b@yahoo.com", d));
  REQUIRE(parser.Parse(stamp + "delivery 8: deferral: Sorry,_I_wasn't_able_to_establish_an_"
                               "SMTP_connection._(#4.4.1)/",
                       d));
  CHECK(d.no_reply);
  CHECK(!parser.Parse(stamp + "starting delivery 9: msg 126 to remote c@gmail.com", d));
  REQUIRE(parser.Parse(stamp + "delivery 9: success: 64.233.188.26_accepted_message./Remote_"
                               "host_said:_250_2.0.0_OK_1764324000_si2_-_gsmtp/",
                       d));
  CHECK(d.status == DeliveryStatus::kSent);
  CHECK(!parser.Parse(stamp + "starting delivery 10: msg 127 to remote d@none.example", d));
  CHECK(!parser.Parse(stamp + "delivery 10: failure: Sorry,_I_couldn't_find_any_host_named_"
                              "none.example._(#5.1.2)/",
                      d));
  CHECK(parser.open_qmail_deliveries() == 0);
}

TEST_CASE("timestamps", "[triage]") {
  Stamp s;
  // No --year: this year, or last year when the date would be more than a day ahead.
  YearRule jan5{0, DaysFromCivil(2027, 1, 5) * 86400};
  CHECK(ParseSyslogStamp("Dec 31 23:59:59 host", jan5, s) == 15);
  CHECK(s.ToString() == "2026-12-31T23:59:59");
  CHECK(ParseSyslogStamp("Jan  5 08:00:00 host", jan5, s) == 15);
  CHECK(s.ToString() == "2027-01-05T08:00:00");
  CHECK(ParseSyslogStamp("Foo  5 08:00:00 host", jan5, s) == 0);
  CHECK(ParseSyslogStamp("Jan 32 08:00:00 host", jan5, s) == 0);
  CHECK(ParseRfc3339Stamp("2026-11-28T10:00:00Z host", s) == 20);
  CHECK(s.ToString() == "2026-11-28T10:00:00Z");
  CHECK(ParseRfc3339Stamp("2026-11-28T10:00:00.5-05:30 host", s) == 27);
  CHECK(s.ToString() == "2026-11-28T10:00:00-05:30");
  Stamp utc;
  ParseRfc3339Stamp("2026-11-28T15:30:00Z", utc);
  CHECK(s.Instant() == utc.Instant());
  CHECK(ParseRfc3339Stamp("2026-11-28T10:00:00", s) == 0);  // no offset: not RFC 3339
  CHECK(ParseTai64nStamp("@4000000069280c2a1d4c3b20", s) == 25);
  CHECK(s.ToString() == "2025-11-27T08:30:24Z");
  CHECK(ParseTai64nStamp("@40000000zz280c2a1d4c3b20", s) == 0);
}

std::filesystem::path TempFile(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("mtaroute-triage-test-" + name);
}

std::vector<std::string> ReadAll(const std::filesystem::path& path, LineReader& reader) {
  std::vector<std::string> lines;
  REQUIRE(reader.Open(path.string()));
  CHECK(reader.ForEachLine([&](std::string_view line) { lines.emplace_back(line); }));
  return lines;
}

TEST_CASE("the line reader streams plain and gzip files", "[triage]") {
  std::string text = "one\r\ntwo\n\nthree";
  std::string big(LineReader::kMaxLine + 10, 'x');
  text += "\n" + big + "\nfour\n";
  auto plain = TempFile("plain.log");
  std::ofstream(plain, std::ios::binary) << text;
  auto gz = TempFile("log.gz");
  gzFile out = gzopen(gz.string().c_str(), "wb");
  gzwrite(out, text.data(), static_cast<unsigned>(text.size()));
  gzclose(out);
  const std::vector<std::string> expected = {"one", "two", "", "three", "four"};
  for (const auto& path : {plain, gz}) {
    INFO(path);
    LineReader reader;
    CHECK(ReadAll(path, reader) == expected);
    CHECK(reader.long_lines() == 1);
    CHECK(!reader.truncated());
  }
  // A gzip file cut short (rotated while compressing): the lines before, and a warning.
  std::string bytes;
  {
    std::ifstream in(gz, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::ofstream(gz, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 12);
  LineReader cut;
  ReadAll(gz, cut);
  CHECK(cut.truncated());
  LineReader dir;
  CHECK(!dir.Open(std::filesystem::temp_directory_path().string()));
  CHECK(dir.error() == "is a directory");
  LineReader missing;
  CHECK(!missing.Open("/nonexistent/maillog"));
  std::filesystem::remove(plain);
  std::filesystem::remove(gz);
}

}  // namespace
}  // namespace mtaroute
