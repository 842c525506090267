// Tests for util/domain: NormalizeDomain, NormalizeHostName and DomainForDisplay, table
// driven. Each row gives an input and either the canonical name or a substring of the error.
#include "util/domain.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace mtaroute {
namespace {

struct Case {
  std::string input;
  std::string name;   // expected canonical name, empty when an error is expected
  std::string error;  // expected substring of the error, empty when valid
};

struct HintCase {
  std::string input;
  std::string error;  // the whole expected error
  std::string hint;   // the whole expected hint
};

std::string Repeat(const std::string& text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += text;
  return out;
}

// Four labels of 63, 63, 63 and `last` bytes: 192 + last bytes in all.
std::string LongName(int last) {
  const std::string label63(63, 'a');
  return label63 + "." + label63 + "." + label63 + "." + std::string(last, 'b');
}

void CheckCases(const std::vector<Case>& cases, NameResult (*normalize)(std::string_view)) {
  for (const Case& c : cases) {
    INFO("input: \"" << c.input << "\"");
    const NameResult result = normalize(c.input);
    INFO("got name \"" << result.name << "\", error \"" << result.error << "\"");
    if (c.error.empty()) {
      CHECK(result.ok());
      CHECK(result.name == c.name);
    } else {
      CHECK_FALSE(result.ok());
      CHECK(result.name.empty());
      CHECK(result.error.find(c.error) != std::string::npos);
    }
  }
}

TEST_CASE("NormalizeDomain accepts and canonicalizes valid domains", "[domain]") {
  const std::vector<Case> cases = {
      {"gmail.com", "gmail.com", ""},
      {"GMail.COM", "gmail.com", ""},
      {"gmail.com.", "gmail.com", ""},
      {"Mail.Example.Org.", "mail.example.org", ""},
      {"a-b.example", "a-b.example", ""},
      {"ab--cd.example", "ab--cd.example", ""},
      // libidn2 alone would reject this label when another label is an IDN.
      {"r3--sn-abc.bücher.example", "r3--sn-abc.xn--bcher-kva.example", ""},
      {"1a.שלום.example", "1a.xn--9dbne9b.example", ""},
      {"_dmarc.example.com", "_dmarc.example.com", ""},
      {"_Spf.Example.com", "_spf.example.com", ""},
      {"123.example", "123.example", ""},
      {"example.1a", "example.1a", ""},
      {"a.b", "a.b", ""},
      // IDN: U-labels become A-labels (UTS#46 non-transitional).
      {"bücher.example", "xn--bcher-kva.example", ""},
      {"BÜCHER.Example.", "xn--bcher-kva.example", ""},
      {"MÜNCHEN.de", "xn--mnchen-3ya.de", ""},
      {"例え.jp", "xn--r8jz45g.jp", ""},
      {"例え。jp", "xn--r8jz45g.jp", ""},      // ideographic full stop is a dot
      {"faß.de", "xn--fa-hia.de", ""},         // transitional would give "fass.de"
      {"ａｂｃ.example", "abc.example", ""},   // full-width letters map to ASCII
      {"a\u200Bb.example", "ab.example", ""},  // UTS#46 ignores a zero-width space
      // A-labels are checked and lower-cased.
      {"xn--bcher-kva.example", "xn--bcher-kva.example", ""},
      {"XN--BCHER-KVA.Example", "xn--bcher-kva.example", ""},
      {"xn--fa-hia.de", "xn--fa-hia.de", ""},
      {"mail.xn--mnchen-3ya.de.", "mail.xn--mnchen-3ya.de", ""},
      // Length limits: labels up to 63 bytes, names up to 253 without the trailing dot.
      {std::string(63, 'a') + ".example", std::string(63, 'a') + ".example", ""},
      {LongName(61), LongName(61), ""},
      {LongName(61) + ".", LongName(61), ""},
      {"ü." + LongName(53), "xn--tda." + LongName(53), ""},
      // "ü" x n is "xn--tda" + "a" x (n - 1): 57 of them make a 63-byte A-label.
      {Repeat("ü", 20) + ".example", "xn--tda" + std::string(19, 'a') + ".example", ""},
      {Repeat("ü", 57) + ".example", "xn--tda" + std::string(56, 'a') + ".example", ""},
  };
  CheckCases(cases, NormalizeDomain);
}

TEST_CASE("NormalizeDomain rejects invalid domains", "[domain]") {
  const std::vector<Case> cases = {
      {"", "", "the domain is empty"},
      {".", "", "\".\" is not a domain"},
      {"gmail.com..", "", "\"gmail.com..\" ends with more than one dot"},
      {"..", "", "ends with more than one dot"},
      {"a..b", "", "\"a..b\" has an empty label"},
      {".gmail.com", "", "has an empty label"},
      {"bücher..example", "", "\"bücher..example\" has an empty label"},
      {"xn--bcher-kva..example", "", "has an empty label"},
      {"例え.jp。。", "", "ends with more than one dot"},
      // Hyphens; the label is quoted as written.
      {"-abc.example", "", "label \"-abc\" starts with a hyphen"},
      {"abc-.example", "", "label \"abc-\" ends with a hyphen"},
      {"-ABC.example", "", "label \"-ABC\" starts with a hyphen"},
      {"example.com-", "", "label \"com-\" ends with a hyphen"},
      {"-ü.example", "", "\"-ü.example\" is not a valid IDN: "},
      {"xn--bcher-kva.ab-.example", "", "label \"ab-\" ends with a hyphen"},
      {"1שלום.example", "", "is not a valid IDN: "},  // bidi rule
      // Length limits.
      {std::string(64, 'a') + ".example", "",
       "label \"" + std::string(60, 'a') + "...\" is 64 bytes long (at most 63)"},
      {LongName(62), "", "is 254 bytes long (at most 253)"},
      {LongName(62) + ".", "", "is 254 bytes long (at most 253)"},
      {Repeat("ü", 58) + ".example", "",
       "is not a valid IDN: punycode encoded data will be too large"},
      {"xn--tda" + std::string(57, 'a') + ".example", "",
       "punycode encoded data will be too large"},
      {"ü." + std::string(64, 'a') + ".example", "",
       "label \"" + std::string(60, 'a') + "...\" is 64 bytes long (at most 63)"},
      {"ü." + LongName(54), "", "is 254 bytes long in A-label form (at most 253)"},
      {Repeat("ü", 64) + ".example", "", "is not a valid IDN: "},
      // Characters.
      {"a+b.example", "", "label \"a+b\" contains \"+\""},
      {"mail.example.com:25", "", "contains \":\""},
      {"[mail.example.com]", "", "contains \"[\""},
      {"ü.a+b", "", "label \"a+b\" contains \"+\""},
      {"a\u00A0b.example", "", "label \"a b\" contains a space"},  // NBSP maps to a space
      {"a\u3000b.example", "", "contains a space"},
      {"user@gmail.com", "", "\"user@gmail.com\" is a mail address, not a domain"},
      // Top-level label and label count.
      {"example.123", "", "\"example.123\": the top-level label is all digits"},
      {"192.0.2.1", "", "the top-level label is all digits"},
      {"ü.123", "", "the top-level label is all digits"},
      {"localhost", "", "\"localhost\" is a single label, not a domain"},
      {"com", "", "is a single label"},
      {"com.", "", "is a single label"},
      {"bücher", "", "is a single label"},
      // Wildcards.
      {"*.gmail.com", "", "wildcard \"*.gmail.com\" is not a domain"},
      {"*", "", "wildcard \"*\" is not a domain"},
      {"a.*.com", "", "wildcard"},
      {"*gmail.com", "", "wildcard"},
      {"ü*.example", "", "wildcard"},
      {"＊.example", "", "wildcard"},  // full-width asterisk maps to "*"
      // Spaces and control characters.
      {" gmail.com", "", "\" gmail.com\" contains a space"},
      {"gmail.com ", "", "contains a space"},
      {"gmail .com", "", "contains a space"},
      {"bücher .example", "", "contains a space"},
      {"gmail.com\n", "", "\"gmail.com\\n\" contains a control character"},
      {"a\tb.com", "", "\"a\\tb.com\" contains a control character"},
      {std::string("a\0b.com", 7), "", "\"a\\x00b.com\" contains a control character"},
      {"a\177b.com", "", "\"a\\x7Fb.com\" contains a control character"},
      {"a\rb.com", "", "contains a control character"},
      {"ü\x01.example", "", "contains a control character"},
      // Invalid IDN and invalid A-labels.
      {"xn--zz.example", "",
       "\"xn--zz.example\" is not a valid IDN: string contains invalid punycode"},
      {"xn--.example", "", "is not a valid IDN: "},
      {"xn--abc-.example", "", "is not a valid IDN: "},
      {"xn--abc.example", "", "is not a valid IDN: "},
      {"xn--bcher-2pa.example", "", "is not a valid IDN: "},  // "bÜcher": upper case
      {"xn--u-ccb.example", "", "is not a valid IDN: "},      // "u" + U+0308: not NFC
      {"xn--ab-g1t.example", "", "is not a valid IDN: "},     // zero-width space
      {"xn--ls8h.example", "", "is not a valid IDN: "},       // an emoji
      {"💩.example", "", "is not a valid IDN: "},
      {"xn--_-eha.example", "", "label \"xn--_-eha\" (Unicode \"_ü\") contains \"_\", which IDNA"},
      {"_ü.example", "", "contains \"_\", which IDNA does not allow"},
      {"xn--ab-1ca.example", "", "label \"xn--ab-1ca\" is not a valid A-label: its Unicode form"},
      {"\xFF\xFE.example", "", "\"\\xFF\\xFE.example\" is not valid UTF-8"},
      {"b\xC3.example", "", "is not valid UTF-8"},
  };
  CheckCases(cases, NormalizeDomain);
}

TEST_CASE("NormalizeHostName is NormalizeDomain without underscores", "[domain]") {
  const std::vector<Case> cases = {
      {"mail.example.com", "mail.example.com", ""},
      {"Mail.Example.COM.", "mail.example.com", ""},
      {"smtp-1.example.net", "smtp-1.example.net", ""},
      {"mx.bücher.example", "mx.xn--bcher-kva.example", ""},
      {"", "", "the host name is empty"},
      {"_smtp.example.com", "", "label \"_smtp\" contains \"_\", which host names do not allow"},
      {"mail_1.example.com", "", "label \"mail_1\" contains \"_\""},
      {"xn--_-eha.example", "", "contains \"_\""},
      {"localhost", "", "\"localhost\" is a single label, not a host name"},
      {"*.example.com", "", "wildcard \"*.example.com\" is not a host name"},
      {"192.0.2.256", "", "the top-level label is all digits"},
      {"-mail.example.com", "", "starts with a hyphen"},
      {"mail.example.com..", "", "ends with more than one dot"},
      {"mail example.com", "", "contains a space"},
      {std::string(64, 'm') + ".example.com", "", "is 64 bytes long (at most 63)"},
  };
  CheckCases(cases, NormalizeHostName);
}

TEST_CASE("Normalize errors come with hints where a fix is clear", "[domain]") {
  const std::vector<HintCase> cases = {
      {"*.gmail.com", "wildcard \"*.gmail.com\" is not a domain",
       "write \"gmail.com\" and set \"subdomains\": true to route its subdomains"},
      {"*.gmail.com.", "wildcard \"*.gmail.com.\" is not a domain",
       "write \"gmail.com\" and set \"subdomains\": true to route its subdomains"},
      {"*", "wildcard \"*\" is not a domain",
       "write the parent domain and set \"subdomains\": true to route its subdomains"},
      {"localhost", "\"localhost\" is a single label, not a domain",
       "write the fully qualified domain, such as \"example.com\""},
      {"gmail.com..", "\"gmail.com..\" ends with more than one dot", "write \"gmail.com\""},
      {"user@gmail.com", "\"user@gmail.com\" is a mail address, not a domain",
       "write only the part after \"@\": \"gmail.com\""},
      {"192.0.2.1", "\"192.0.2.1\": the top-level label is all digits",
       "an IP address is not a domain"},
      {"example.123", "\"example.123\": the top-level label is all digits", ""},
      {"-abc.example", "label \"-abc\" starts with a hyphen", ""},
      {"xn--zz.example",
       "\"xn--zz.example\" is not a valid IDN: string contains invalid punycode data",
       "a label starting with \"xn--\" must be a valid A-label; write the Unicode form instead"},
      {"ü." + std::string(57, 'a') + "ü.example",
       "\"ü." + std::string(57, 'a') +
           "...\" is not a valid IDN: "
           "punycode encoded data will be too large",
       "a label is at most 63 bytes long in A-label form (\"xn--...\")"},
  };
  for (const HintCase& c : cases) {
    INFO("input: \"" << c.input << "\"");
    const NameResult result = NormalizeDomain(c.input);
    CHECK(result.error == c.error);
    CHECK(result.hint == c.hint);
  }
  const NameResult host = NormalizeHostName("mail_1.example.com");
  CHECK(host.hint.find("RFC 1123") != std::string::npos);
}

TEST_CASE("Normalize errors quote the input safely", "[domain]") {
  // Long input: 60 bytes, then "...".
  const std::string long_input = std::string(100, 'a') + " .com";
  CHECK(NormalizeDomain(long_input).error ==
        "\"" + std::string(60, 'a') + "...\" contains a space");
  // No cut inside a UTF-8 character: "ü" would end at byte 61.
  const std::string utf8_input = std::string(59, 'a') + "ü .com";
  CHECK(NormalizeDomain(utf8_input).error ==
        "\"" + std::string(59, 'a') + "...\" contains a space");
  // Exactly 60 bytes: no "...".
  const std::string exact = std::string(59, 'a') + " ";
  CHECK(NormalizeDomain(exact).error == "\"" + exact + "\" contains a space");
  // Invisible code points and quotes are escaped, visible UTF-8 is kept.
  CHECK(NormalizeDomain("bü\"cher .example").error == "\"bü\\\"cher .example\" contains a space");
  CHECK(NormalizeDomain("a\u200Eb c").error == "\"a\\xE2\\x80\\x8Eb c\" contains a space");
  CHECK(NormalizeDomain("a\\b c").error == "\"a\\\\b c\" contains a space");
}

TEST_CASE("DomainForDisplay shows valid A-labels in Unicode", "[domain]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"xn--bcher-kva.example", "bücher.example"},
      {"XN--BCHER-KVA.EXAMPLE", "bücher.example"},
      {"mail.xn--mnchen-3ya.de.", "mail.münchen.de."},
      {"xn--r8jz45g.jp", "例え.jp"},
      {"xn--fa-hia.de", "faß.de"},
      {"gmail.com", "gmail.com"},
      {"GMail.com", "GMail.com"},  // no A-label: unchanged, not even lower-cased
      {"", ""},
      {"xn--zz.example", "xn--zz.example"},          // invalid punycode
      {"xn--abc.example", "xn--abc.example"},        // libidn2 decodes it to ".example"
      {"xn--ab-1ca.example", "xn--ab-1ca.example"},  // U+00A0 maps to a space
      {"xn--bcher-2pa.example", "xn--bcher-2pa.example"},
      {"ü.xn--tda", "ü.xn--tda"},
      {std::string("xn--tda\0.x", 10), std::string("xn--tda\0.x", 10)},
  };
  for (const auto& [input, expected] : cases) {
    INFO("input: \"" << input << "\"");
    CHECK(DomainForDisplay(input) == expected);
  }
}

TEST_CASE("DomainForDisplay and NormalizeDomain round-trip", "[domain]") {
  for (const char* input : {"bücher.example", "MÜNCHEN.de", "例え.jp", "faß.de", "gmail.com",
                            "mail.xn--mnchen-3ya.de", "_dmarc.bücher.example"}) {
    INFO("input: \"" << input << "\"");
    const NameResult normalized = NormalizeDomain(input);
    REQUIRE(normalized.ok());
    const NameResult again = NormalizeDomain(DomainForDisplay(normalized.name));
    CHECK(again.name == normalized.name);
  }
}

}  // namespace
}  // namespace mtaroute

namespace mtaroute {
namespace {

// The parser keeps a domain where it stands in the policy text when IsCanonicalDomain says
// NormalizeDomain would return it unchanged: the two must agree on every name.
TEST_CASE("IsCanonicalDomain agrees with NormalizeDomain", "[domain]") {
  for (const char* name : {"gmail.com", "a.b", "_dmarc.example.com", "r3--sn-abc.example",
                           "1.example", "example.c0m"}) {
    INFO(name);
    CHECK(IsCanonicalDomain(name));
  }
  for (const char* name : {"", "Gmail.com", "gmail.com.", "com", "a..b", "-a.b", "a-.b",
                           "1.2.3.4", "example.123", "xn--bcher-kva.example", "b\xc3\xbc.de",
                           "a b.c", "*.example.com", "a@b.c"}) {
    INFO(name);
    CHECK_FALSE(IsCanonicalDomain(name));
  }
  // Random names over the characters that matter, lengths around the limits of 63 and 253.
  const std::string alphabet = "ab9-_.xnA";
  std::uint32_t seed = 12345;
  auto next = [&seed] { return seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff; };
  int canonical = 0;
  for (int n = 0; n < 20000; ++n) {
    std::size_t size = next() % 12 + (n % 50 == 0 ? 240 : 0) + (n % 70 == 0 ? 55 : 0);
    std::string name;
    for (std::size_t i = 0; i < size; ++i) name += alphabet[next() % alphabet.size()];
    NameResult normalized = NormalizeDomain(name);
    bool same = normalized.ok() && normalized.name == name;
    INFO(name << " -> " << normalized.name << normalized.error);
    if (IsCanonicalDomain(name)) {
      ++canonical;
      REQUIRE(same);
    } else if (name.find("xn--") == std::string::npos) {  // A-labels take the libidn2 path
      REQUIRE_FALSE(same);
    }
  }
  CHECK(canonical > 500);  // the random names do reach the fast path (953 of them)
}

}  // namespace
}  // namespace mtaroute
