// Canonical domain and host names from user input: lower-case A-labels without the trailing
// dot. Pure ASCII names take a fast path without libidn2; the rest go through libidn2
// (UTS#46 non-transitional) and the result is re-validated, because libidn2 lets some
// invalid names through. Errors quote the input safely. No I/O, no DNS, no IP addresses.

#include "util/domain.h"

#include <idn2.h>

#include <cstddef>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mtaroute {
namespace {

enum class NameKind { kDomain, kHost };

constexpr size_t kMaxNameBytes = 253;  // RFC 1035 255 on the wire, less length octets
constexpr size_t kMaxLabelBytes = 63;
constexpr size_t kMaxEchoBytes = 60;  // how much of the input an error message quotes

// Non-transitional processing on purpose: transitional maps "faß.de" to "fass.de", a
// different registered domain, and it also accepts symbols IDNA2008 disallows ("💩.example").
// There is no reason to fall back to it.
constexpr int kIdnFlags = IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL;

struct Idn2Free {
  void operator()(char* p) const { idn2_free(p); }
};
using Idn2String = std::unique_ptr<char, Idn2Free>;

const char* Noun(NameKind kind) { return kind == NameKind::kDomain ? "domain" : "host name"; }

NameResult Fail(std::string error, std::string hint = "") {
  NameResult result;
  result.error = std::move(error);
  result.hint = std::move(hint);
  return result;
}

// Length of the valid UTF-8 sequence at text[i] (its code point in *cp), 0 if invalid.
size_t DecodeUtf8(std::string_view text, size_t i, char32_t* cp) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  size_t len = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
  } else {
    return 0;
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  *cp = b0 & (0x7F >> len);
  if (i + len > text.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (b & 0x3F);
  }
  if (*cp < kMin[len] || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return len;
}

// Code points that are invisible or look like something else in a terminal: C1 controls,
// Unicode spaces, zero-width characters, bidi controls, the byte order mark.
bool IsInvisible(char32_t cp) {
  return (cp >= 0x80 && cp <= 0xA0) || cp == 0xAD || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
         (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 || cp == 0xFEFF;
}

void AppendHexBytes(std::string* out, std::string_view bytes) {
  for (char c : bytes) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(static_cast<unsigned char>(c)));
    *out += buf;
  }
}

void AppendEscapedAscii(std::string* out, char c) {
  switch (c) {
    case '\n':
      *out += "\\n";
      break;
    case '\t':
      *out += "\\t";
      break;
    case '\r':
      *out += "\\r";
      break;
    case '"':
      *out += "\\\"";
      break;
    case '\\':
      *out += "\\\\";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
        AppendHexBytes(out, std::string_view(&c, 1));
      } else {
        *out += c;
      }
  }
}

// The text in double quotes for an error message: escapes what cannot be seen (\n, \t,
// \xNN), keeps other UTF-8, cuts after kMaxEchoBytes input bytes (never inside a character).
std::string Quote(std::string_view text) {
  std::string out = "\"";
  size_t i = 0;
  while (i < text.size()) {
    char32_t cp = 0;
    const bool ascii = static_cast<unsigned char>(text[i]) < 0x80;
    const size_t utf8_len = ascii ? 0 : DecodeUtf8(text, i, &cp);
    const size_t len = utf8_len == 0 ? 1 : utf8_len;
    if (i + len > kMaxEchoBytes) break;
    if (ascii) {
      AppendEscapedAscii(&out, text[i]);
    } else if (utf8_len == 0 || IsInvisible(cp)) {
      AppendHexBytes(&out, text.substr(i, len));
    } else {
      out += text.substr(i, len);
    }
    i += len;
  }
  if (i < text.size()) out += "...";
  return out + "\"";
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// True if the label begins with the IDNA ACE prefix "xn--" in any case.
bool HasAcePrefix(std::string_view label) {
  return label.size() >= 4 && (label[0] | 0x20) == 'x' && (label[1] | 0x20) == 'n' &&
         label[2] == '-' && label[3] == '-';
}

bool HasAceLabel(std::string_view name) {
  for (size_t start = 0; start <= name.size();) {
    if (HasAcePrefix(name.substr(start))) return true;
    const size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return false;
}

// Whether the name needs libidn2: non-ASCII bytes or an A-label to check.
bool NeedsIdna(std::string_view name) {
  for (char c : name) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return HasAceLabel(name);
}

NameResult WildcardError(std::string_view input, NameKind kind) {
  std::string error = "wildcard " + Quote(input) + " is not a " + Noun(kind);
  if (kind == NameKind::kHost) return Fail(std::move(error), "write the name of one relay host");
  std::string_view rest = input.starts_with("*.") ? input.substr(2) : std::string_view();
  if (rest.ends_with('.')) rest.remove_suffix(1);
  const std::string tail = " and set \"subdomains\": true to route its subdomains";
  if (rest.empty() || rest.find('*') != std::string_view::npos) {
    return Fail(std::move(error), "write the parent domain" + tail);
  }
  return Fail(std::move(error), "write " + Quote(rest) + tail);
}

// Rejects what no conversion can repair: empty input, spaces, control bytes, wildcards
// and mail addresses.
NameResult CheckInput(std::string_view input, NameKind kind) {
  if (input.empty()) return Fail(std::string("the ") + Noun(kind) + " is empty");
  for (char c : input) {
    if (c == ' ') {
      return Fail(Quote(input) + " contains a space",
                  std::string("write one ") + Noun(kind) + " per entry, without spaces");
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return Fail(Quote(input) + " contains a control character");
    }
  }
  if (input.find('*') != std::string_view::npos) return WildcardError(input, kind);
  if (const size_t at = input.rfind('@'); at != std::string_view::npos) {
    std::string hint;
    if (at + 1 < input.size()) {
      hint = "write only the part after \"@\": " + Quote(input.substr(at + 1));
    }
    return Fail(Quote(input) + " is a mail address, not a " + Noun(kind), std::move(hint));
  }
  return {};
}

NameResult IdnError(std::string_view input, int rc) {
  if (rc == IDN2_ENCODING_ERROR) return Fail(Quote(input) + " is not valid UTF-8");
  std::string hint;
  if (rc == IDN2_PUNYCODE_BIG_OUTPUT || rc == IDN2_TOO_BIG_LABEL) {
    hint = "a label is at most 63 bytes long in A-label form (\"xn--...\")";
  } else if (rc == IDN2_TOO_BIG_DOMAIN) {
    hint = "a name is at most 253 bytes long in A-label form (\"xn--...\")";
  } else if (HasAceLabel(input)) {
    hint = "a label starting with \"xn--\" must be a valid A-label; write the Unicode form instead";
  }
  return Fail(Quote(input) + " is not a valid IDN: " + idn2_strerror(rc), std::move(hint));
}

// U-labels and A-labels to lower-case A-labels, one label at a time: plain ASCII labels are
// only lower-cased, as in the fast path, because libidn2 would reject "r3--sn-abc" (hyphens
// in positions 3 and 4) only when another label is an IDN. libidn2 checks the bidi rule
// per label too, so nothing is lost. libidn2 decodes and checks A-labels itself (bad
// punycode, disallowed code points, NFC); ValidateALabel covers what it misses. A label may
// hold dots that UTS#46 maps to "." ("例え。jp"); ValidateName sees them.
// The labels ConvertIdn made, A-label -> the label it was made from: ValidateALabel can then
// skip the second conversion of a round trip whose result it already knows.
using Conversions = std::vector<std::pair<std::string, std::string>>;

NameResult ConvertIdn(std::string_view input, Conversions& conversions) {
  std::string name;
  for (size_t start = 0, dot = 0; dot != std::string_view::npos; start = dot + 1) {
    dot = input.find('.', start);
    const std::string_view label = input.substr(start, dot - start);
    if (NeedsIdna(label)) {
      const std::string copy(label);
      char* out = nullptr;
      const int rc = idn2_to_ascii_8z(copy.c_str(), &out, kIdnFlags);
      const Idn2String owner(out);
      if (rc != IDN2_OK) return IdnError(input, rc);
      conversions.emplace_back(AsciiLower(out), copy);
      name += conversions.back().first;
    } else {
      name += AsciiLower(label);
    }
    if (dot != std::string_view::npos) name += '.';
  }
  NameResult result;
  result.name = std::move(name);
  return result;
}

// Drops one trailing dot (the root); two or more are an error.
NameResult DropTrailingDot(std::string* name, std::string_view input, NameKind kind) {
  if (name->ends_with("..")) {
    std::string_view trimmed = input;
    while (trimmed.ends_with('.')) trimmed.remove_suffix(1);
    std::string hint;
    if (!trimmed.empty() && trimmed.size() < input.size()) hint = "write " + Quote(trimmed);
    return Fail(Quote(input) + " ends with more than one dot", std::move(hint));
  }
  if (name->ends_with('.')) name->pop_back();
  if (name->empty()) return Fail(Quote(input) + " is not a " + Noun(kind));
  return {};
}

// The Unicode form of one A-label, empty if it cannot be decoded.
std::string DecodeALabel(std::string_view label) {
  const std::string copy(label);
  char* out = nullptr;
  const int rc = idn2_to_unicode_8z8z(copy.c_str(), &out, 0);
  const Idn2String owner(out);
  return rc == IDN2_OK && out != nullptr ? std::string(out) : std::string();
}

// A label for a message: as the user wrote it (fast path), else the A-label with its
// Unicode form.
std::string ShowLabel(std::string_view label, std::string_view original, bool idn) {
  if (!idn) return "label " + Quote(original);
  std::string shown = "label " + Quote(label);
  if (HasAcePrefix(label)) {
    if (const std::string unicode = DecodeALabel(label); !unicode.empty()) {
      shown += " (Unicode " + Quote(unicode) + ")";
    }
  }
  return shown;
}

// Checks what libidn2 accepts but IDNA does not allow in an A-label: non-LDH characters
// ("xn--_-eha" is "_ü") and a Unicode form that maps to something else ("xn--ab-1ca" is
// "a", U+00A0, "b", and U+00A0 maps to a space), found by decoding and encoding again.
// `source`: the label ConvertIdn made this one from, or null.
NameResult ValidateALabel(std::string_view label, const std::string* source) {
  if (label.find('_') != std::string_view::npos) {
    return Fail(ShowLabel(label, "", true) + " contains \"_\", which IDNA does not allow");
  }
  const std::string copy(label);
  char* unicode = nullptr;
  int rc = idn2_to_unicode_8z8z(copy.c_str(), &unicode, 0);
  const Idn2String unicode_owner(unicode);
  if (rc != IDN2_OK) {
    return Fail("label " + Quote(label) + " is not a valid A-label: " + idn2_strerror(rc));
  }
  // Its Unicode form is the very label it was made from: converting that again gives this
  // label (a fifth of a million-domain policy's time went to this second conversion).
  if (source && *source == unicode) return {};
  char* ascii = nullptr;
  rc = idn2_to_ascii_8z(unicode, &ascii, kIdnFlags);
  const Idn2String ascii_owner(ascii);
  if (rc != IDN2_OK) {
    return Fail("label " + Quote(label) + " is not a valid A-label: " + idn2_strerror(rc));
  }
  if (AsciiLower(ascii) != label) {
    return Fail("label " + Quote(label) + " is not a valid A-label: its Unicode form " +
                Quote(unicode) + " maps to " + Quote(ascii));
  }
  return {};
}

std::string AllowedCharacters(NameKind kind) {
  return kind == NameKind::kDomain
             ? "a domain label has only letters, digits, \"-\" and \"_\""
             : "a host name label has only letters, digits and \"-\" (RFC 952, RFC 1123)";
}

// One non-empty label of the canonical name; original is the user's spelling (fast path).
NameResult ValidateLabel(std::string_view label, std::string_view original, NameKind kind,
                         bool idn, const Conversions* conversions) {
  if (label.size() > kMaxLabelBytes) {
    return Fail(ShowLabel(label, original, idn) + " is " + std::to_string(label.size()) +
                " bytes long (at most " + std::to_string(kMaxLabelBytes) + ")");
  }
  for (char c : label) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') continue;
    if (c == '_' && kind == NameKind::kDomain) continue;
    if (c == '_') {
      return Fail(
          ShowLabel(label, original, idn) + " contains \"_\", which host names do not allow",
          AllowedCharacters(kind));
    }
    const std::string what = c == ' ' ? "a space" : Quote(std::string_view(&c, 1));
    return Fail(ShowLabel(label, original, idn) + " contains " + what, AllowedCharacters(kind));
  }
  if (label.front() == '-') return Fail(ShowLabel(label, original, idn) + " starts with a hyphen");
  if (label.back() == '-') return Fail(ShowLabel(label, original, idn) + " ends with a hyphen");
  if (idn && HasAcePrefix(label)) {
    const std::string* source = nullptr;
    if (conversions) {
      for (const auto& [a_label, from] : *conversions) {
        if (a_label == label) source = &from;
      }
    }
    return ValidateALabel(label, source);
  }
  return {};
}

bool IsAllDigits(std::string_view text) {
  return text.find_first_not_of("0123456789") == std::string_view::npos;
}

NameResult NumericTldError(std::string_view name, std::string_view input, NameKind kind) {
  std::string error = Quote(input) + ": the top-level label is all digits";
  bool all_digits = true;
  for (size_t start = 0, dot = 0; dot != std::string_view::npos; start = dot + 1) {
    dot = name.find('.', start);
    if (!IsAllDigits(name.substr(start, dot - start))) all_digits = false;
  }
  if (!all_digits) return Fail(std::move(error));
  if (kind == NameKind::kDomain) return Fail(std::move(error), "an IP address is not a domain");
  return Fail(
      std::move(error),
      "an IPv4 address is four numbers 0 to 255 without leading zeros, such as \"192.0.2.1\"");
}

// Re-validates the canonical name (no trailing dot); input is what the user wrote, which
// in the fast path has the same byte offsets as name.
NameResult ValidateName(std::string_view name, std::string_view input, NameKind kind, bool idn,
                        const Conversions* conversions = nullptr) {
  if (name.find('*') != std::string_view::npos) return WildcardError(input, kind);
  if (name.size() > kMaxNameBytes) {
    return Fail(Quote(input) + " is " + std::to_string(name.size()) + " bytes long" +
                (idn ? " in A-label form" : "") + " (at most " + std::to_string(kMaxNameBytes) +
                ")");
  }
  size_t labels = 0;
  std::string_view last;
  for (size_t start = 0, dot = 0; dot != std::string_view::npos; start = dot + 1) {
    dot = name.find('.', start);
    const std::string_view label = name.substr(start, dot - start);
    if (label.empty()) return Fail(Quote(input) + " has an empty label", "remove the extra \".\"");
    const std::string_view original = idn ? std::string_view() : input.substr(start, label.size());
    if (NameResult r = ValidateLabel(label, original, kind, idn, conversions); !r.ok()) return r;
    ++labels;
    last = label;
  }
  if (labels < 2) {
    return Fail(Quote(input) + " is a single label, not a " + Noun(kind),
                kind == NameKind::kDomain
                    ? "write the fully qualified domain, such as \"example.com\""
                    : "write the fully qualified host name, such as \"mail.example.com\"");
  }
  if (IsAllDigits(last)) return NumericTldError(name, input, kind);
  return {};
}

NameResult Normalize(std::string_view input, NameKind kind) {
  if (NameResult r = CheckInput(input, kind); !r.ok()) return r;
  const bool idn = NeedsIdna(input);
  std::string name;
  Conversions conversions;
  if (idn) {
    NameResult converted = ConvertIdn(input, conversions);
    if (!converted.ok()) return converted;
    name = std::move(converted.name);
  } else {
    name = AsciiLower(input);
  }
  if (NameResult r = DropTrailingDot(&name, input, kind); !r.ok()) return r;
  if (NameResult r = ValidateName(name, input, kind, idn, &conversions); !r.ok()) return r;
  NameResult result;
  result.name = std::move(name);
  return result;
}

}  // namespace

NameResult NormalizeDomain(std::string_view input) { return Normalize(input, NameKind::kDomain); }

// One pass over the name, with the rules of ValidateName for an ASCII domain that needs no
// lower-casing, no trailing-dot removal and no IDNA (no "xn--" label). domain_test checks
// that it agrees with NormalizeDomain.
bool IsCanonicalDomain(std::string_view input) {
  if (input.empty() || input.size() > kMaxNameBytes) return false;
  std::size_t labels = 0;
  std::size_t start = 0;
  bool all_digits = true;  // in the current label
  for (std::size_t i = 0; i <= input.size(); ++i) {
    if (i == input.size() || input[i] == '.') {
      const std::size_t size = i - start;
      if (size == 0 || size > kMaxLabelBytes || input[start] == '-' || input[i - 1] == '-') {
        return false;
      }
      if (HasAcePrefix(input.substr(start, size))) return false;
      ++labels;
      if (i == input.size()) break;
      start = i + 1;
      all_digits = true;
      continue;
    }
    const char c = input[i];
    if (c >= '0' && c <= '9') continue;
    if (!((c >= 'a' && c <= 'z') || c == '-' || c == '_')) return false;
    all_digits = false;
  }
  return labels >= 2 && !all_digits;
}

NameResult NormalizeHostName(std::string_view input) { return Normalize(input, NameKind::kHost); }

std::string DomainForDisplay(std::string_view a_label_domain) {
  const std::string unchanged(a_label_domain);
  if (!HasAceLabel(a_label_domain)) return unchanged;
  const std::string lower = AsciiLower(a_label_domain);
  if (lower.find('\0') != std::string::npos) return unchanged;
  char* unicode = nullptr;
  int rc = idn2_to_unicode_8z8z(lower.c_str(), &unicode, 0);
  const Idn2String unicode_owner(unicode);
  if (rc != IDN2_OK || unicode == nullptr) return unchanged;
  // idn2_to_unicode_8z8z decodes without validating ("xn--abc.example" gives ".example"):
  // show the Unicode form only if it encodes back to the same A-labels.
  char* ascii = nullptr;
  rc = idn2_to_ascii_8z(unicode, &ascii, kIdnFlags);
  const Idn2String ascii_owner(ascii);
  if (rc != IDN2_OK || AsciiLower(ascii) != lower) return unchanged;
  return std::string(unicode);
}

}  // namespace mtaroute
