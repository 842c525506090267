// Small queries on the policy model.
#include "policy/policy.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

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

std::uint32_t NameStore::Add(std::string_view name) {
  if (arena_.size() + name.size() > kMaxText) throw std::length_error("name arena full");
  auto offset = static_cast<std::uint32_t>(arena_.size());
  arena_ += name;
  return offset | kArenaBit;
}

RouteDomain DomainList::at(std::size_t position) const {
  if (position >= entries_.size()) throw std::out_of_range("DomainList::at");
  return (*this)[position];
}

NameStore& DomainList::store() {
  if (!store_) store_ = std::make_shared<NameStore>();
  return *store_;
}

void DomainList::IndexEveryEntry() {
  if (!indexes_.empty() || entries_.empty()) return;
  indexes_.resize(entries_.size());
  std::iota(indexes_.begin(), indexes_.end(), 0u);
}

void DomainList::Add(std::string_view name, std::size_t index) {
  AddStored(store().Add(name), static_cast<std::uint32_t>(name.size()), index);
}

void DomainList::AddStored(std::uint32_t offset, std::uint32_t size, std::size_t index) {
  if (indexes_.empty() && index != entries_.size()) IndexEveryEntry();
  if (!indexes_.empty() || index != entries_.size()) {
    indexes_.push_back(static_cast<std::uint32_t>(index));
  }
  entries_.push_back({offset, size});
}

std::string Route::DomainPointer(const RouteDomain& domain) const {
  return fmt::format("{}/domains/{}", pointer, domain.index);
}

namespace {
__extension__ using Wide = unsigned __int128;  // g++ and clang; -Wpedantic would warn
// hash * slots / 2^64: a slot in [0, slots) without a division.
std::size_t SlotOf(std::uint64_t hash, std::size_t slots) {
  return static_cast<std::size_t>((static_cast<Wide>(hash) * slots) >> 64);
}
}  // namespace

std::vector<RepeatedDomain> FindRepeatedDomains(const Policy& policy) {
  std::size_t count = 0;
  std::vector<std::size_t> starts;  // ordinal of each route's first domain
  starts.reserve(policy.routes.size());
  for (const Route& route : policy.routes) {
    starts.push_back(count);
    count += route.domains.size();
  }
  std::vector<RepeatedDomain> repeats;
  if (count < 2) return repeats;
  // A slot is 0 (empty) or the high 32 bits of the name's hash and its ordinal + 1.
  const std::size_t slots = count + count / 4 + 1;
  std::vector<std::uint64_t> table(slots, 0);
  auto locate = [&](std::size_t ordinal) {
    std::size_t route = static_cast<std::size_t>(
        std::upper_bound(starts.begin(), starts.end(), ordinal) - starts.begin() - 1);
    return std::pair{route, ordinal - starts[route]};
  };
  // The table is far larger than the caches: the slots of a batch of names are fetched
  // together (prefetch) before any is probed, which hides most of the memory latency.
  constexpr std::size_t kBatch = 16;
  struct Pending {
    std::string_view name;
    std::uint64_t tag;
    std::size_t slot, route, position;
  };
  Pending batch[kBatch];
  std::size_t pending = 0;
  std::size_t ordinal = 0;
  auto probe = [&](const Pending& item, std::size_t item_ordinal) {
    for (std::size_t slot = item.slot;; slot = slot + 1 == slots ? 0 : slot + 1) {
      std::uint64_t entry = table[slot];
      if (entry == 0) {
        table[slot] = item.tag | (item_ordinal + 1);
        return;
      }
      if ((entry & 0xffffffff00000000u) != item.tag) continue;
      auto [first_route, first_position] = locate((entry & 0xffffffffu) - 1);
      if (policy.routes[first_route].domains[first_position].name != item.name) continue;
      repeats.push_back({item.route, item.position, first_route, first_position});
      return;
    }
  };
  auto drain = [&] {
    for (std::size_t i = 0; i < pending; ++i) probe(batch[i], ordinal - pending + i);
    pending = 0;
  };
  for (std::size_t r = 0; r < policy.routes.size(); ++r) {
    const DomainList& domains = policy.routes[r].domains;
    for (std::size_t p = 0; p < domains.size(); ++p) {
      std::string_view name = domains[p].name;
      std::uint64_t hash = std::hash<std::string_view>{}(name);
      std::size_t slot = SlotOf(hash, slots);
      __builtin_prefetch(&table[slot], 1);
      batch[pending++] = {name, hash & 0xffffffff00000000u, slot, r, p};
      ++ordinal;
      if (pending == kBatch) drain();
    }
  }
  drain();
  return repeats;
}

std::vector<RepeatedDomain> RepeatedDomains(const Policy& policy) {
  return policy.repeated_domains ? *policy.repeated_domains : FindRepeatedDomains(policy);
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
