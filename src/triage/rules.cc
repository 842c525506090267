// The triage knowledge base: providers, their rejection texts, and block list names. Sources:
// /work/shared/TRIAGE.md (the providers' published error pages and real log excerpts). To add
// a provider, add one ProviderSpec before "other"; to add a text, add a Rule to its provider.
#include "triage/rules.h"

namespace mtaroute {

std::string_view ReasonId(Reason reason) {
  static constexpr std::string_view kIds[kReasonCount] = {
      "ip-reputation", "domain-reputation", "rate",          "authentication",
      "reverse-dns",   "dynamic-ip",        "network-block", "ip-ban",
      "ip-block",      "blocklist",         "blocklist-pbl", "policy",
      "content",       "ambiguous",         "recipient",     "connection",
      "other"};
  return kIds[static_cast<int>(reason)];
}

std::string_view HelpsName(Helps helps) {
  switch (helps) {
    case Helps::kYes:
      return "yes";
    case Helps::kNo:
      return "no";
    case Helps::kPartly:
      return "partly";
    case Helps::kUnclear:
      return "unclear";
  }
  return "unclear";
}

std::string_view ReasonAdvice(Reason reason) {
  static constexpr std::string_view kAdvice[kReasonCount] = {
      // ip-reputation
      "the receiver distrusts the sending IP: send through a relay with a clean IP",
      // domain-reputation
      "the receiver distrusts the sending domain, not the IP: a relay does not help; check "
      "content, list hygiene and complaint rates, and the domain's block list entries",
      // rate
      "the receiver throttles mail from this IP: slow down; a relay with its own reputation "
      "spreads the load, which helps partly",
      // authentication
      "the mail fails SPF, DKIM or DMARC: a relay does not help; publish SPF for the sender "
      "domain (mtaroute gen spf), sign with DKIM and align the DMARC policy",
      // reverse-dns
      "the sending IP has no matching PTR record: fix the reverse DNS or send through a relay "
      "that has one",
      // dynamic-ip
      "the sending IP is in a dynamic or residential range: send through a relay (smarthost)",
      // network-block
      "the receiver blocks part of the sending network: send through a relay on another network",
      // ip-ban
      "the sending IP is banned: send through a relay with a clean IP and request delisting",
      // ip-block
      "the receiver permanently refuses the sending IP: send through a relay with a clean IP",
      // blocklist
      "the sending IP is on a block list: request delisting, and send through a relay with a "
      "clean IP meanwhile",
      // blocklist-pbl
      "the sending IP is in the Spamhaus PBL (should not send directly): this is what a "
      "smarthost relay is for",
      // policy
      "the receiver's local policy refused the mail: unclear whether a relay helps; ask the "
      "receiver's postmaster",
      // content
      "the receiver refused the content: a relay does not help; check the message, its links "
      "and attachments",
      // ambiguous
      "\"user unknown\" is also used by this provider as a filter: check the address first; "
      "a relay may or may not help",
      // recipient
      "the recipient address does not exist or cannot receive: fix or remove the address; a "
      "relay does not help",
      // connection
      "no SMTP reply (connection lost, timed out or refused): check the network path first; "
      "if only this IP is dropped, it may be a silent block",
      // other
      "unrecognised reply: read the sample; add a rule to src/triage/rules.cc if it recurs"};
  return kAdvice[static_cast<int>(reason)];
}

Helps DefaultHelps(Reason reason) {
  switch (reason) {
    case Reason::kIpReputation:
    case Reason::kReverseDns:
    case Reason::kDynamicIp:
    case Reason::kNetworkBlock:
    case Reason::kIpBan:
    case Reason::kIpBlock:
    case Reason::kBlocklist:
    case Reason::kBlocklistPbl:
      return Helps::kYes;
    case Reason::kDomainReputation:
    case Reason::kAuthentication:
    case Reason::kContent:
    case Reason::kRecipient:
      return Helps::kNo;
    case Reason::kRate:
      return Helps::kPartly;
    default:
      return Helps::kUnclear;
  }
}

namespace {

using R = Reason;
using H = Helps;

// clang-format off: one provider per block, one rule per line.
std::vector<ProviderSpec> MakeProviders() {
  return {
      {"google",
       "google.com googlemail.com",
       "gmail.com googlemail.com",
       "gsmtp|support.google.com",
       {
           {"5.7.26", "", "", R::kAuthentication, H::kNo},
           {"", "authenticate with either spf or dkim|dmarc policy|unauthenticated email", "",
            R::kAuthentication, H::kNo},
           {"4.7.23,5.7.25", "", "", R::kReverseDns, H::kYes},
           {"", "ptr record", "", R::kReverseDns, H::kYes},
           {"4.7.28,5.7.28", "", "", R::kRate, H::kPartly},
           {"", "unusual rate of unsolicited mail", "", R::kRate, H::kPartly},
           {"", "not authorized to send email directly|smtp relay at your service provider", "",
            R::kDynamicIp, H::kYes},
           {"", "reputation of the sending domain", "", R::kDomainReputation, H::kNo},
           {"", "reputation of the sending ip", "", R::kIpReputation, H::kYes},
           {"", "likely unsolicited mail|content presents a potential security issue", "",
            R::kContent, H::kNo},
       }},
      {"microsoft",
       "outlook.com hotmail.com",
       "outlook.com hotmail.com live.com msn.com",
       "protection.outlook.com|prod.outlook.com|mail.live.com|sender.office.com",
       {
           {"", "(s3150)|(s3140)|part of their network is on our block list", "", R::kNetworkBlock,
            H::kYes},
           {"5.7.606-5.7.649", "", "", R::kIpBan, H::kYes},
           {"", "banned sending ip", "", R::kIpBan, H::kYes},
           {"5.7.509,5.7.515", "", "", R::kAuthentication, H::kNo},
           {"5.7.513", "", "", R::kPolicy, H::kNo},
           {"", "rate limited due to ip reputation", "", R::kIpReputation, H::kYes},
           {"4.7.500-4.7.699", "", "", R::kIpReputation, H::kYes},
           {"", "access denied, please try again later", "", R::kIpReputation, H::kYes},
       }},
      {"yahoo-japan",
       "yahoo.co.jp",
       "yahoo.co.jp ybb.ne.jp",
       "yahoo.co.jp",
       {
           {"", "[tss04]|[ipts04]|vs98-ip0", "", R::kIpReputation, H::kYes},
       }},
      {"yahoo",
       "yahoodns.net yahoo.com aol.com",
       "yahoo.com ymail.com rocketmail.com aol.com yahoo.co.uk yahoo.fr yahoo.de",
       "yahooinc.com|yahoo.com|yahoodns",
       {
           {"", "[tss06]|[tss09]|[tss11]|will be permanently deferred", "", R::kIpBlock, H::kYes},
           {"", "[tss04]|[tss05]|[ipts04]|unexpected volume or user complaints", "",
            R::kIpReputation, H::kYes},
           {"", "[bl21]|[bl23]|in spamhaus's list", "", R::kBlocklist, H::kYes},
       }},
      {"apple",
       "icloud.com apple.com me.com",
       "icloud.com me.com mac.com",
       "support.apple.com|icloud.com",
       {
           {"", "[cs01]|rejected due to local policy", "", R::kPolicy, H::kUnclear},
       }},
      {"gmx",
       "gmx.net gmx.de gmx.com web.de",
       "gmx.de gmx.net gmx.at gmx.ch gmx.com web.de",
       "postmaster.gmx.net|web.de",
       {
           {"", "c=bip|ip address is black listed", "", R::kBlocklist, H::kYes},
           {"", "c=rdns|bad dns ptr", "", R::kReverseDns, H::kYes},
           {"", "c=hi", "", R::kContent, H::kNo},
       }},
      {"t-online",
       "t-online.de",
       "t-online.de magenta.de",
       "t-online.de",
       {
           {"", "dialup/transient ip not allowed|use a mailgateway|(dial)", "", R::kDynamicIp,
            H::kYes},
           {"", "(rdns)", "", R::kReverseDns, H::kYes},
           {"", "(bl)", "", R::kBlocklist, H::kYes},
       }},
      {"orange",
       "orange.fr wanadoo.fr",
       "orange.fr wanadoo.fr",
       "ofr0|orange.fr|wanadoo",
       {
           {"", "_104|[104]", "", R::kRate, H::kYes},
           {"", "_401|_517|[401]|[517]", "", R::kAuthentication, H::kNo},
           {"", "_101|_102|_103|_510|_999|[101]|[102]|[103]|[510]|[999]", "", R::kBlocklist,
            H::kYes},
       }},
      {"laposte",
       "laposte.net",
       "laposte.net",
       "lpn0",
       {
           {"", "_104|[104]", "", R::kRate, H::kYes},
           {"", "_401|_517|[401]|[517]", "", R::kAuthentication, H::kNo},
           {"", "_101|_102|_103|_510|_999|[101]|[102]|[103]|[510]|[999]", "", R::kBlocklist,
            H::kYes},
       }},
      {"docomo",
       "docomo.ne.jp",
       "docomo.ne.jp",
       "docomo",
       {
           {"", "unknown user|user unknown", "", R::kAmbiguous, H::kUnclear},
       }},
      {"kddi",
       "ezweb.ne.jp au.com kddi.com",
       "ezweb.ne.jp au.com",
       "ezweb|kddi",
       {
           {"", "unknown user|user unknown", "", R::kAmbiguous, H::kUnclear},
       }},
      // Generic rules: any receiver (a Postfix with reject_rbl_client, Proofpoint, ...).
      {"other",
       "",
       "",
       "",
       {
           {"", "listing in spamhaus pbl|pbl.spamhaus.org|spamhaus pbl|policy block list", "",
            R::kBlocklistPbl, H::kYes},
           {"", "dbl.spamhaus.org|spamhaus dbl|domain present in the spamhaus", "",
            R::kDomainReputation, H::kNo},
           {"",
            "dnsbl-lookup|blocked using|listed in|listed at|listing in|blacklisted|"
            "black listed|blocklisted|blacklist|blocklist|block list|dnsbl|spamhaus|"
            "spamcop|barracuda",
            "", R::kBlocklist, H::kYes},
           {"",
            "ptr record|reverse dns|reverse hostname|reverse lookup|rdns|"
            "cannot find your hostname",
            "", R::kReverseDns, H::kYes},
           {"",
            "dynamic ip|dynamic address|dialup|dial-up|residential|use a mailgateway|"
            "smtp relay at your service provider|use your provider's smtp",
            "", R::kDynamicIp, H::kYes},
           {"", "dmarc|dkim|spf|unauthenticated|not authenticated|sender authentication", "",
            R::kAuthentication, H::kNo},
           {"", "reputation of the sending domain|domain reputation", "", R::kDomainReputation,
            H::kNo},
           {"", "reputation", "", R::kIpReputation, H::kYes},
           {"",
            "rate limit|too many connections|too many messages|slow down|"
            "unusual rate|throttl",
            "", R::kRate, H::kPartly},
           {"5.1.0-5.1.999,5.2.1-5.2.2", "", "", R::kRecipient, H::kNo},
           {"",
            "user unknown|unknown user|no such user|does not exist|mailbox unavailable|"
            "mailbox not found|invalid recipient|recipient address rejected",
            "", R::kRecipient, H::kNo},
           {"", "spam|virus|malware|phishing|message content|content rejected|junk", "",
            R::kContent, H::kNo},
           {"", "policy|prohibited|not accepted|access denied", "", R::kPolicy, H::kUnclear},
       }},
  };
}
// clang-format on

}  // namespace

const std::vector<ProviderSpec>& Providers() {
  static const std::vector<ProviderSpec> kProviders = MakeProviders();
  return kProviders;
}

const std::vector<BlockList>& BlockLists() {
  // More specific names first: "pbl.spamhaus.org" before "spamhaus".
  static const std::vector<BlockList> kLists = {
      {"pbl.spamhaus.org", "Spamhaus PBL"},
      {"spamhaus pbl", "Spamhaus PBL"},
      {"sbl.spamhaus.org", "Spamhaus SBL"},
      {"spamhaus sbl", "Spamhaus SBL"},
      {"xbl.spamhaus.org", "Spamhaus XBL"},
      {"spamhaus xbl", "Spamhaus XBL"},
      {"cbl.abuseat.org", "Spamhaus XBL"},
      {"dbl.spamhaus.org", "Spamhaus DBL"},
      {"spamhaus dbl", "Spamhaus DBL"},
      {"zen.spamhaus.org", "Spamhaus ZEN"},
      {"spamhaus", "Spamhaus"},
      {"bl.spamcop.net", "SpamCop"},
      {"spamcop", "SpamCop"},
      {"b.barracudacentral.org", "Barracuda"},
      {"barracuda", "Barracuda"},
      {"dnsbl-lookup", "Proofpoint"},
      {"psbl.surriel.com", "PSBL"},
      {"bl.mailspike.net", "Mailspike"},
      {"dnsbl.sorbs.net", "SORBS"},
      {"uceprotect", "UCEPROTECT"},
      {"c=bip", "GMX"},
  };
  return kLists;
}

}  // namespace mtaroute
