// Domain and host names in the canonical form every target needs: lower-case A-labels,
// one trailing dot dropped, IDN converted with libidn2 (UTS#46) and then re-validated,
// since libidn2 passes some invalid names through. No diagnostics, no I/O.
#pragma once

#include <string>
#include <string_view>

namespace mtaroute {

struct NameResult {
  std::string name;   // canonical form, set when valid
  std::string error;  // what is wrong (empty when valid), e.g. "label \"-a\" starts with a hyphen"
  std::string hint;   // how to fix it, may be empty
  bool ok() const { return error.empty(); }
};

// A recipient or sender domain: lower case, one trailing dot dropped, U-labels to A-labels
// (UTS#46 non-transitional), then: total length 1..253, labels 1..63 of letters, digits,
// hyphen and underscore, no label starting or ending with a hyphen, TLD not all-numeric,
// at least two labels. "*.x" is an error whose hint says to use "subdomains": true.
NameResult NormalizeDomain(std::string_view input);

// True when NormalizeDomain(input) returns input itself, checked without an allocation: the
// fast path of a million already canonical domains (ASCII lower case, no trailing dot, no
// A-label, valid). False says nothing: call NormalizeDomain.
bool IsCanonicalDomain(std::string_view input);

// A relay host name: as NormalizeDomain, but no underscore (RFC 952/1123 host names).
// Does not accept IP addresses: callers try ParseIpAddress first.
NameResult NormalizeHostName(std::string_view input);

// The Unicode form of an A-label domain for display ("xn--bcher-kva.example" ->
// "bücher.example"); the input unchanged when it has no A-label or cannot be converted,
// including A-labels whose Unicode form does not encode back to them ("xn--abc.example").
std::string DomainForDisplay(std::string_view a_label_domain);

}  // namespace mtaroute
