// Small queries on the policy model.
#include "policy/policy.h"

#include <algorithm>

namespace mtaroute {

namespace {
constexpr std::pair<TlsLevel, const char*> kTlsLevels[] = {
    {TlsLevel::kNone, "none"},   {TlsLevel::kMay, "may"},       {TlsLevel::kEncrypt, "encrypt"},
    {TlsLevel::kDane, "dane"},   {TlsLevel::kVerify, "verify"}, {TlsLevel::kSecure, "secure"},
};
}  // namespace

const char* TlsLevelName(TlsLevel level) {
  for (const auto& [value, name] : kTlsLevels) {
    if (value == level) return name;
  }
  return "none";
}

std::optional<TlsLevel> ParseTlsLevel(std::string_view text) {
  for (const auto& [value, name] : kTlsLevels) {
    if (text == name) return value;
  }
  return std::nullopt;
}

bool TlsIsMandatory(TlsLevel level) {
  return level == TlsLevel::kEncrypt || level == TlsLevel::kDane || level == TlsLevel::kVerify ||
         level == TlsLevel::kSecure;
}

const Relay* Policy::FindRelay(std::string_view name) const {
  auto it = std::lower_bound(relays.begin(), relays.end(), name,
                             [](const Relay& r, std::string_view n) { return r.name < n; });
  return it != relays.end() && it->name == name ? &*it : nullptr;
}

std::vector<const Relay*> Policy::UsedRelays() const {
  std::vector<const Relay*> used;
  for (const Relay& relay : relays) {
    bool is_used = default_route == relay.name ||
                   std::any_of(routes.begin(), routes.end(),
                               [&](const Route& route) { return route.relay == relay.name; });
    if (is_used) used.push_back(&relay);
  }
  return used;
}

}  // namespace mtaroute
