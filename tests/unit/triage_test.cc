// Unit tests for triage: every provider phrase of TRIAGE.md classified (reason, whether a
// relay helps, block list), providers from MX hosts and domains, the rule table's own
// consistency, grouping that ignores per-message tokens, and the policy view.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "policy/analyze.h"
#include "triage/classify.h"
#include "triage/policy_view.h"
#include "triage/report.h"
#include "triage/triage.h"

namespace mtaroute {
namespace {

struct ReplyCase {
  std::string provider;  // provider id the reply is classified for
  std::string reply;     // as Postfix logs it: reply lines joined with spaces
  std::string reason;
  std::string helps;
  std::string list;  // "" when none
};

const Classifier& TheClassifier() {
  static const Classifier classifier;
  return classifier;
}

ProviderId IdOf(const std::string& name) {
  const Classifier& c = TheClassifier();
  for (std::size_t i = 0; i < c.provider_count(); ++i) {
    if (c.ProviderName(static_cast<ProviderId>(i)) == name) return static_cast<ProviderId>(i);
  }
  FAIL("no provider " << name);
  return 0;
}

Classification ClassifyReply(const std::string& provider, const std::string& reply) {
  std::string normalized;
  NormalizeReply(reply, true, normalized);
  return TheClassifier().Classify(normalized, ExtractStatusCode(reply), IdOf(provider));
}

TEST_CASE("every provider phrase of TRIAGE.md is classified", "[triage]") {
  // clang-format off: one reply per line.
  const std::vector<ReplyCase> cases = {
      // Google
      {"google",
       "550-5.7.1 [203.0.113.5      19] Our system has detected that this message is 550-5.7.1 "
       "likely suspicious due to the very low reputation of the sending IP 550-5.7.1 address. To "
       "best protect our users from spam, the message has been 550-5.7.1 blocked. Please visit 550 "
       "5.7.1  https://support.google.com/mail/answer/188131 for more information. "
       "si123-20020a17.45 - gsmtp",
       "ip-reputation", "yes", ""},
      {"google",
       "421-4.7.0 [203.0.113.5      15] Our system has detected that this message is 421-4.7.0 "
       "suspicious due to the very low reputation of the sending IP address. 421-4.7.0 To protect "
       "our users from spam, mail sent from your IP address has 421 4.7.0 been temporarily rate "
       "limited. d2-20020a05 - gsmtp",
       "ip-reputation", "yes", ""},
      {"google",
       "550-5.7.1 [203.0.113.5] Our system has detected that this message is 550-5.7.1 likely "
       "suspicious due to the very low reputation of the sending 550-5.7.1 domain. To best protect "
       "our users from spam, the message has been 550 5.7.1 blocked. x1-2 - gsmtp",
       "domain-reputation", "no", ""},
      {"google",
       "421-4.7.28 [203.0.113.5      15] Our system has detected an unusual rate of 421-4.7.28 "
       "unsolicited mail originating from your IP address. To protect our 421-4.7.28 users from "
       "spam, mail sent from your IP address has been temporarily 421 4.7.28 rate limited. a1 - "
       "gsmtp",
       "rate", "partly", ""},
      {"google",
       "550-5.7.28 [203.0.113.5] Our system has detected an unusual rate of 550 5.7.28 unsolicited "
       "mail originating from your IP address. b2 - gsmtp",
       "rate", "partly", ""},
      {"google",
       "550-5.7.26 This mail has been blocked because the sender is 550-5.7.26 unauthenticated. "
       "Gmail requires all senders to authenticate with 550-5.7.26 either SPF or DKIM. 550 5.7.26 "
       "c3 - gsmtp",
       "authentication", "no", ""},
      {"google",
       "550-5.7.26 Unauthenticated email from example.co.jp is not accepted due to 550-5.7.26 "
       "domain's DMARC policy. 550 5.7.26 d4 - gsmtp",
       "authentication", "no", ""},
      {"google",
       "550-5.7.25 [203.0.113.5] The IP address sending this message does not 550-5.7.25 have a "
       "PTR record setup, or the corresponding forward DNS entry does 550 5.7.25 not point to the "
       "sending IP. e5 - gsmtp",
       "reverse-dns", "yes", ""},
      {"google",
       "421-4.7.23 [203.0.113.5] The sending IP address for this message does not 421 4.7.23 have "
       "a PTR record. f6 - gsmtp",
       "reverse-dns", "yes", ""},
      {"google",
       "550-5.7.1 [203.0.113.5] The IP you're using to send mail is not authorized to 550-5.7.1 "
       "send email directly to our servers. Please use the SMTP relay at your 550 5.7.1 service "
       "provider instead. g7 - gsmtp",
       "dynamic-ip", "yes", ""},
      // Microsoft
      {"microsoft",
       "550 5.7.1 Unfortunately, messages from [203.0.113.5] weren't sent. Please contact your "
       "Internet service provider since part of their network is on our block list (S3150). You "
       "can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. "
       "[AM0EUR02FT012.eop-EUR02.prod.protection.outlook.com 2026-11-28T10:00:00.000Z 08DDF]",
       "network-block", "yes", ""},
      {"microsoft",
       "550 5.7.1 Unfortunately, messages from [203.0.113.5] weren't sent. Please contact your "
       "Internet service provider since part of their network is on our block list (S3140). "
       "[DB5EUR03FT1.eop-EUR03.prod.protection.outlook.com]",
       "network-block", "yes", ""},
      {"microsoft",
       "550 5.7.606 Access denied, banned sending IP [203.0.113.5]. To request removal from this "
       "list please visit https://sender.office.com/ and follow the directions.",
       "ip-ban", "yes", ""},
      {"microsoft",
       "550 5.7.649 Access denied, 203.0.113.5 [HE1EUR01FT2.eop-EUR01.prod.protection.outlook.com]",
       "ip-ban", "yes", ""},
      {"microsoft",
       "451 4.7.650 The mail server [203.0.113.5] has been temporarily rate limited due to IP "
       "reputation. For e-mail delivery information, see https://postmaster.live.com (S775) "
       "[Name=Protocol Filter Agent]",
       "ip-reputation", "yes", ""},
      {"microsoft",
       "451 4.7.500 Server busy. Please try again later from [203.0.113.5]. (S77719) "
       "[BN1NAM02FT3.eop-nam02.prod.protection.outlook.com]",
       "ip-reputation", "yes", ""},
      {"microsoft", "451 4.7.550 Access denied, please try again later. [AM5EUR02FT4]",
       "ip-reputation", "yes", ""},
      {"microsoft",
       "550 5.7.509 Access denied, sending domain [EXAMPLE.CO.JP] does not pass DMARC verification "
       "and has a DMARC policy of reject.",
       "authentication", "no", ""},
      {"microsoft",
       "550 5.7.513 Service unavailable, Client host [203.0.113.5] blocked by customer. Your "
       "access to submit messages to this e-mail system has been rejected.",
       "policy", "no", ""},
      {"microsoft",
       "550 5.7.515 Access denied, sending domain [EXAMPLE.CO.JP] doesn't meet the required "
       "authentication level.",
       "authentication", "no", ""},
      // Yahoo / AOL
      {"yahoo",
       "421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume "
       "or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
       "ip-reputation", "yes", ""},
      {"yahoo",
       "421 4.7.0 [TSS05] Messages from 203.0.113.5 temporarily deferred due to unexpected volume "
       "or user complaints",
       "ip-reputation", "yes", ""},
      {"yahoo",
       "421 4.7.0 [IPTS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume "
       "or user complaints - 4.16.56.1",
       "ip-reputation", "yes", ""},
      {"yahoo",
       "554 5.7.9 [TSS06] All messages from 203.0.113.5 will be permanently deferred; Retrying "
       "will NOT succeed. See https://postmaster.yahooinc.com/error-codes",
       "ip-block", "yes", ""},
      {"yahoo",
       "421 4.7.1 [TSS09] All messages from 203.0.113.5 will be permanently deferred; Retrying "
       "will NOT succeed.",
       "ip-block", "yes", ""},
      {"yahoo",
       "421 4.7.1 [TSS11] All messages from 203.0.113.5 will be permanently deferred; Retrying "
       "will NOT succeed.",
       "ip-block", "yes", ""},
      {"yahoo",
       "553 5.7.1 [BL21] Connections will not be accepted from 203.0.113.5, because the ip is in "
       "Spamhaus's list; see https://postmaster.yahooinc.com/error-codes",
       "blocklist", "yes", "Spamhaus"},
      {"yahoo",
       "553 5.7.1 [BL23] Connections not accepted from IP addresses on Spamhaus XBL; see "
       "https://postmaster.yahooinc.com/error-codes",
       "blocklist", "yes", "Spamhaus XBL"},
      // Apple
      {"apple",
       "554 5.7.1 [CS01] Message rejected due to local policy. Please visit "
       "https://support.apple.com/en-us/HT204137",
       "policy", "unclear", ""},
      {"apple",
       "550 5.7.1 Mail from IP 203.0.113.5 was rejected due to listing in Spamhaus SBL. For "
       "details please see http://www.spamhaus.org/query/bl?ip=203.0.113.5",
       "blocklist", "yes", "Spamhaus SBL"},
      {"apple",
       "550 5.7.1 Mail from IP 203.0.113.5 was rejected due to listing in Spamhaus PBL. For "
       "details please see http://www.spamhaus.org/query/bl?ip=203.0.113.5",
       "blocklist-pbl", "yes", "Spamhaus PBL"},
      {"apple",
       "554 5.7.1 [HM08] Message rejected due to domain present in the Spamhaus DBL. For details "
       "please see http://www.spamhaus.org/query/dbl?domain=example.co.jp",
       "domain-reputation", "no", "Spamhaus DBL"},
      {"apple",
       "554 5.7.0 Blocked - see https://support.proofpoint.com/dnsbl-lookup.cgi?ip=203.0.113.5",
       "blocklist", "yes", "Proofpoint"},
      // any Postfix receiver
      {"other",
       "554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org; "
       "https://www.spamhaus.org/query/ip/203.0.113.5",
       "blocklist", "yes", "Spamhaus ZEN"},
      {"other",
       "554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using bl.spamcop.net; "
       "Blocked - see https://www.spamcop.net/bl.shtml?203.0.113.5",
       "blocklist", "yes", "SpamCop"},
      {"other",
       "554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using "
       "b.barracudacentral.org; http://www.barracudanetworks.com/reputation/?pr=1&ip=203.0.113.5",
       "blocklist", "yes", "Barracuda"},
      {"other",
       "554 Service unavailable; Client host [203.0.113.5] blocked using Barracuda Reputation; "
       "http://www.barracudanetworks.com/reputation/?pr=1&ip=203.0.113.5",
       "blocklist", "yes", "Barracuda"},
      {"other",
       "554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using pbl.spamhaus.org; "
       "https://www.spamhaus.org/query/ip/203.0.113.5",
       "blocklist-pbl", "yes", "Spamhaus PBL"},
      {"other", "550 5.7.1 Mail from 203.0.113.5 refused: listing in Spamhaus PBL", "blocklist-pbl",
       "yes", "Spamhaus PBL"},
      {"other",
       "554 5.7.1 Service unavailable; Sender address [a@example.co.jp] blocked using "
       "dbl.spamhaus.org; https://www.spamhaus.org/query/domain/example.co.jp",
       "domain-reputation", "no", "Spamhaus DBL"},
      // GMX / web.de (greetings, refused)
      {"gmx",
       "554-gmx.net (mxgmx117) Nemesis ESMTP Service not available 554-No SMTP service 554-IP "
       "address is black listed. 554 For explanation visit "
       "https://postmaster.gmx.net/en/case?c=bip&i=ip&v=203.0.113.5&r=1MxAbc-1a2b3c",
       "blocklist", "yes", "GMX"},
      {"gmx",
       "554-web.de (mxweb112) Nemesis ESMTP Service not available 554-No SMTP service 554-Bad DNS "
       "PTR resource record. 554 For explanation visit "
       "https://web.de/email/senderguidelines?ip=203.0.113.5&c=rdns",
       "reverse-dns", "yes", ""},
      {"gmx",
       "554-gmx.net (mxgmx112) Nemesis ESMTP Service not available 554-No SMTP service 554-Reject "
       "due to policy restrictions. 554 For explanation visit "
       "https://postmaster.gmx.net/en/case?c=hi&i=ip&v=203.0.113.5&r=1Mabc",
       "content", "no", ""},
      // T-Online
      {"t-online", "554 IP=203.0.113.5 - Dialup/transient IP not allowed. Use a mailgateway (DIAL)",
       "dynamic-ip", "yes", ""},
      // Orange / La Poste
      {"orange",
       "550 5.7.1 Service refuse. Veuillez essayer plus tard. service refused, please try later. "
       "OFR004_102 [102]",
       "blocklist", "yes", ""},
      {"orange", "550 5.7.1 Service refuse. Veuillez essayer plus tard. OFR004_999 [999]",
       "blocklist", "yes", ""},
      {"orange",
       "421 mwinf5c14 ME Trop de connexions, veuillez verifier votre configuration. Too many "
       "connections, slow down. OFR004_104 [104]",
       "rate", "yes", ""},
      {"orange", "550 5.7.0 Code d'authentification invalide. OFR004_401 [401]", "authentication",
       "no", ""},
      {"laposte", "550 5.7.1 Service refuse. LPN007_510", "blocklist", "yes", ""},
      // Yahoo! JAPAN
      {"yahoo-japan",
       "421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred due to user complaints",
       "ip-reputation", "yes", ""},
      {"yahoo-japan", "421 4.7.0 [IPTS04] Messages from 203.0.113.5 temporarily deferred",
       "ip-reputation", "yes", ""},
      {"yahoo-japan", "550 5.7.1 Message rejected (VS98-IP0)", "ip-reputation", "yes", ""},
      // docomo, au/KDDI
      {"docomo", "550 Unknown user user@docomo.ne.jp", "ambiguous", "unclear", ""},
      {"kddi", "550 : User unknown", "ambiguous", "unclear", ""},
      // generic leftovers
      {"other",
       "550 5.1.1 <u1@example.org>: Recipient address rejected: User unknown in virtual mailbox "
       "table",
       "recipient", "no", ""},
      {"google",
       "550-5.1.1 The email account that you tried to reach does not exist. Please try 550 5.1.1 "
       "double-checking the recipient's email address. h8 - gsmtp",
       "recipient", "no", ""},
      {"other", "450 4.7.1 Client host rejected: cannot find your reverse hostname, [203.0.113.5]",
       "reverse-dns", "yes", ""},
      {"other", "421 4.3.2 System not accepting network messages", "other", "unclear", ""},
  };
  // clang-format on
  for (const ReplyCase& c : cases) {
    INFO(c.provider << ": " << c.reply);
    Classification result = ClassifyReply(c.provider, c.reply);
    CHECK(std::string(ReasonId(result.reason)) == c.reason);
    CHECK(std::string(HelpsName(result.helps)) == c.helps);
    CHECK(std::string(result.list) == c.list);
  }
}

TEST_CASE("providers come from MX host names, domains and reply markers", "[triage]") {
  const Classifier& c = TheClassifier();
  const std::vector<std::pair<std::string, std::string>> hosts = {
      {"gmail-smtp-in.l.google.com", "google"},
      {"ASPMX.L.GOOGLE.COM", "google"},
      {"alt1.aspmx.l.googlemail.com", "google"},
      {"hotmail-com.olc.protection.outlook.com", "microsoft"},
      {"example-co-jp.mail.protection.outlook.com", "microsoft"},
      {"mta7.am0.yahoodns.net", "yahoo"},
      {"mx.mail.yahoo.co.jp", "yahoo-japan"},
      {"mx01.mail.icloud.com", "apple"},
      {"mx-in.g.apple.com", "apple"},
      {"mx00.emig.gmx.net", "gmx"},
      {"mx-ha03.web.de", "gmx"},
      {"mx00.t-online.de", "t-online"},
      {"smtp-in.orange.fr", "orange"},
      {"smtp-in.laposte.net", "laposte"},
      {"mfsmax.docomo.ne.jp", "docomo"},
      {"lsean.ezweb.ne.jp", "kddi"},
      {"notgoogle.com", "other"},
      {"127.0.0.1", "other"},
      {"", "other"},
  };
  for (const auto& [host, provider] : hosts) {
    INFO(host);
    CHECK(std::string(c.ProviderName(c.ProviderFromHost(host))) == provider);
  }
  CHECK(c.ProviderName(c.ProviderFromDomain("gmail.com")) == "google");
  CHECK(c.ProviderName(c.ProviderFromDomain("me.com")) == "apple");
  CHECK(c.ProviderName(c.ProviderFromDomain("yahoo.co.jp")) == "yahoo-japan");
  CHECK(c.ProviderName(c.ProviderFromDomain("ezweb.ne.jp")) == "kddi");
  CHECK(c.ProviderName(c.ProviderFromDomain("example.com")) == "other");
  CHECK(c.ProviderName(c.ProviderFromText("... x1-2 - gsmtp")) == "google");
  CHECK(c.ProviderName(c.ProviderFromText("ofr004 104 [104]")) == "orange");
}

TEST_CASE("the rule table is consistent", "[triage]") {
  std::set<std::string_view> ids;
  const std::vector<ProviderSpec>& providers = Providers();
  REQUIRE(providers.back().id == "other");
  for (const ProviderSpec& provider : providers) {
    INFO(provider.id);
    CHECK(ids.insert(provider.id).second);
    // One provider, one answer per reason: a group never mixes two.
    std::map<Reason, Helps> helps;
    for (const Rule& rule : provider.rules) {
      CHECK((!rule.codes.empty() || !rule.any.empty() || !rule.all.empty()));
      auto [it, inserted] = helps.emplace(rule.reason, rule.helps);
      INFO(ReasonId(rule.reason));
      CHECK(it->second == rule.helps);
      for (std::string_view text : {rule.any, rule.all}) {
        CHECK(text.find("||") == std::string_view::npos);
        for (char ch : text) CHECK(!(ch >= 'A' && ch <= 'Z'));  // phrases are lower case
      }
    }
  }
  for (int r = 0; r < kReasonCount; ++r) {
    CHECK(!ReasonAdvice(static_cast<Reason>(r)).empty());
    CHECK(!ReasonId(static_cast<Reason>(r)).empty());
  }
}

TEST_CASE("NormalizeReply joins reply lines and drops their codes", "[triage]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"550-5.7.1 very low 550-5.7.1 reputation", "very low reputation"},
      {"550 5.7.1  Two  spaces_and_UNDERSCORES", "two spaces and underscores"},
      {"550-5.7.1 first\\n550 5.7.1 second", "first second"},          // Exim's literal \n
      {"421 4.7.0 [TSS04] port 550 stays", "[tss04] port 550 stays"},  // another code stays
      {"554-mx.gmx.net text 554 For explanation", "mx.gmx.net text for explanation"},
      {"", ""},
  };
  for (const auto& [input, expected] : cases) {
    INFO(input);
    std::string out;
    NormalizeReply(input, true, out);
    CHECK(out == expected);
  }
  CHECK(ExtractStatusCode("550-5.7.606 x").detail == 606);
  CHECK(ExtractStatusCode("554 For explanation", "4.0.0").cls == 4);
  CHECK(ExtractStatusCode("garbage").cls == 0);
}

// Feeds Postfix lines (classic stamps, 2026) into a triage with one relay.
Triage Feed(const std::vector<std::string>& lines, std::vector<RelayTarget> relays = {}) {
  Triage triage(TheClassifier(), std::move(relays));
  LogParser parser(YearRule{2026, 0});
  Delivery delivery;
  for (const std::string& line : lines) {
    if (parser.Parse(line, delivery)) triage.Add(delivery);
  }
  return triage;
}

std::string Line(const std::string& time, const std::string& id, const std::string& rcpt,
                 const std::string& relay, const std::string& result) {
  return "Nov 28 " + time + " web01 postfix/smtp[4242]: " + id + ": to=<" + rcpt +
         ">, relay=" + relay + ", delay=1.2, delays=0.1/0/0.5/0.6, " + result;
}

const std::string kGmailMx = "gmail-smtp-in.l.google.com[142.250.1.27]:25";
const std::string kRelay = "relay.example.net[203.0.113.10]:587";
std::string GmailBounce(const std::string& token) {
  return "dsn=5.7.1, status=bounced (host gmail-smtp-in.l.google.com[142.250.1.27] said: "
         "550-5.7.1 [203.0.113.5 19] Our system has detected that this message is 550-5.7.1 "
         "likely suspicious due to the very low reputation of the sending IP 550-5.7.1 "
         "address. 550 5.7.1 https://support.google.com/mail/answer/188131 " +
         token + " - gsmtp (in reply to end of DATA command))";
}

TEST_CASE("grouping ignores per-message tokens; sent counts per domain and relay", "[triage]") {
  Triage triage = Feed(
      {
          Line("10:00:00", "3D770111AF50", "a@gmail.com", kGmailMx, GmailBounce("si1-2a.1")),
          Line("10:00:05", "4Tp6VT0vCvz22WHQ", "b@Gmail.COM", kGmailMx, GmailBounce("si9-7f.3")),
          Line("10:01:00", "5E1", "c@gmail.com", kGmailMx, "dsn=2.0.0, status=sent (250 ok)"),
          Line("10:02:00", "5E2", "d@gmail.com", kRelay, "dsn=2.0.0, status=sent (250 ok)"),
          Line("10:03:00", "5E3", "e@gmail.com", kGmailMx, GmailBounce("si5-11.9")),
          Line("10:04:00", "5E4", "f@gmail.com", kRelay, "dsn=2.0.0, status=sent (250 ok)"),
          Line("10:05:00", "5E5", "g@gmail.com", kRelay, "dsn=2.0.0, status=sent (250 ok)"),
      },
      {{"relay.example.net", 587}});
  std::vector<const Group*> groups = triage.Groups();
  REQUIRE(groups.size() == 1);
  const Group& g = *groups[0];
  CHECK(g.domain == "gmail.com");
  CHECK(TheClassifier().ProviderName(g.provider) == "google");
  CHECK(g.reason == Reason::kIpReputation);
  CHECK(g.bounced == 3);
  CHECK(g.first.ToString() == "2026-11-28T10:00:00");
  CHECK(g.last.ToString() == "2026-11-28T10:03:00");
  CHECK(g.hosts == std::vector<std::string>{"gmail-smtp-in.l.google.com[142.250.1.27]"});
  CHECK(g.sample.find("si1-2a.1 - gsmtp") != std::string::npos);  // the first, as logged
  CHECK(triage.Sent("gmail.com", g.provider) == 4);  // the relay's too: domain+provider
  const RelayStats* via = triage.ViaRelay("gmail.com", 0);
  REQUIRE(via != nullptr);
  CHECK(via->sent == 3);
  CHECK(via->sent_since_failure == 2);
  CHECK(via->last_sent.ToString() == "2026-11-28T10:05:00");
}

const char* kPolicy = R"({
  "version": 1,
  "relays": {
    "backup": { "host": "backup.example.net" },
    "clean-relay": { "host": "relay.example.net", "port": 587 }
  },
  "routes": [
    { "domains": ["gmail.com"], "subdomains": true, "relay": "clean-relay" },
    { "domains": ["me.com", "icloud.com"], "relay": "clean-relay" },
    { "domains": ["partner.example"], "relay": "direct" },
    { "domains": ["backup.example"], "relay": "backup" }
  ]
})";

Policy ParsePolicy(const char* text) {
  Analysis analysis = AnalyzePolicy("p.json", text, ParseLimits{});
  INFO(analysis.diags.items().size());
  REQUIRE(!analysis.diags.HasErrors());
  return *analysis.policy;
}

TEST_CASE("the policy view follows the transport table's semantics", "[triage]") {
  Policy policy = ParsePolicy(kPolicy);
  struct Case {
    std::string domain;
    int route;
    std::string relay;
  };
  const std::vector<Case> cases = {
      {"gmail.com", 0, "clean-relay"},  {"a.b.gmail.com", 0, "clean-relay"},
      {"me.com", 1, "clean-relay"},     {"x.me.com", -1, "direct"},
      {"partner.example", 2, "direct"}, {"yahoo.com", -1, "direct"},
      {"xgmail.com", -1, "direct"},
  };
  for (const Case& c : cases) {
    INFO(c.domain);
    RouteMatch match = MatchRoute(policy, c.domain);
    CHECK(match.route_index == c.route);
    CHECK(match.relay == c.relay);
  }
  CHECK(ProposalRelay(policy) == "clean-relay");  // 3 domains against 1
  CHECK(ProposalRelay(ParsePolicy(R"({"version": 1, "relays": {"b": {"host": "b.example"},
      "a": {"host": "a.example"}}, "default": "b"})")) == "b");
  CHECK(ProposalRelay(ParsePolicy(R"({"version": 1, "relays": {"b": {"host": "b.example"},
      "a": {"host": "a.example"}}})")) == "a");
  CHECK(ProposalRelay(ParsePolicy(R"({"version": 1})")).empty());
}

TEST_CASE("routes are proposed only where a relay helps and no route exists", "[triage]") {
  Policy policy = ParsePolicy(kPolicy);
  const std::string yahoo =
      "dsn=4.7.0, status=deferred (host mta5.am0.yahoodns.net[67.195.204.72] said: 421 4.7.0 "
      "[TSS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume or user "
      "complaints - 4.16.55.1 (in reply to MAIL FROM command))";
  const std::string unknown =
      "dsn=5.1.1, status=bounced (host mx.example.org[192.0.2.1] said: 550 5.1.1 User unknown "
      "(in reply to RCPT TO command))";
  const std::string blocked =
      "dsn=5.7.1, status=bounced (host mx.partner.example[192.0.2.2] said: 554 5.7.1 Service "
      "unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org (in reply to RCPT "
      "TO command))";
  Triage triage = Feed(
      {
          Line("10:00:00", "A1", "a@yahoo.com", "mta5.am0.yahoodns.net[67.195.204.72]:25", yahoo),
          Line("10:00:01", "A2", "b@aol.com", "mta5.am0.yahoodns.net[67.195.204.72]:25", yahoo),
          Line("10:00:02", "A3", "c@example.org", "mx.example.org[192.0.2.1]:25", unknown),
          Line("10:00:03", "A4", "d@partner.example", "mx.partner.example[192.0.2.2]:25", blocked),
          Line("10:00:04", "A5", "e@gmail.com", kGmailMx, GmailBounce("t1")),
      },
      RelayTargets(policy));
  Report report = BuildReport(triage, TheClassifier(), &policy);
  REQUIRE(report.proposal.size() == 1);
  CHECK(report.proposal[0].domains == std::vector<std::string>{"aol.com", "yahoo.com"});
  CHECK(report.proposal[0].relay == "clean-relay");
  CHECK(
      RouteJson(report.proposal[0])
          .starts_with(
              R"({ "domains": ["aol.com","yahoo.com"], "relay": "clean-relay", "note": "mtaroute triage: yahoo: )"));
  for (const GroupReport& group : report.groups) {
    INFO(group.domain);
    REQUIRE(group.policy);
    CHECK(group.policy->proposed == (group.domain == "yahoo.com" || group.domain == "aol.com"));
    if (group.domain == "partner.example") CHECK(group.policy->by == "routes[2]");
    if (group.domain == "gmail.com") {
      CHECK(group.policy->relay == "clean-relay");
      CHECK(group.policy->status.find("no delivery through it") != std::string::npos);
    }
  }
}

}  // namespace
}  // namespace mtaroute
