// The policy model: plain value types holding canonical forms (lower-case A-label domains,
// networks without host bits, addresses in one spelling). Nothing here knows JSON; each entity
// keeps the JSON pointer it came from so later checks can still point at file:line:col.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/net.h"

namespace mtaroute {

inline constexpr std::string_view kDirect = "direct";

enum class TlsLevel { kNone, kMay, kEncrypt, kDane, kVerify, kSecure };
const char* TlsLevelName(TlsLevel level);
std::optional<TlsLevel> ParseTlsLevel(std::string_view text);
// encrypt, dane, verify and secure refuse to send in the clear (what auth needs).
bool TlsIsMandatory(TlsLevel level);

struct Host {
  enum class Kind { kName, kIpv4, kIpv6 };
  Kind kind = Kind::kName;
  std::string text;  // canonical: A-label host name, or the address without brackets
  bool IsAddress() const { return kind != Kind::kName; }
};

struct RelayAuth {
  std::string username;
  std::string password_file;  // exactly one of password_file and password_env is set
  std::string password_env;
  std::string pointer;
};

struct NetworkEntry {
  Network network;
  std::string pointer;
};

struct Relay {
  std::string name;
  std::string pointer;
  Host host;
  int port = 25;
  bool mx = false;
  std::optional<TlsLevel> tls;
  std::optional<RelayAuth> auth;
  std::vector<NetworkEntry> egress;
};

struct Domain {
  std::string name;  // canonical A-label
  std::string pointer;
};

// The bytes that route domains point into: the policy text, where most names already stand in
// canonical form, and an arena for the others (IDNs, upper case, escapes, model builders). A
// route domain then costs 8 bytes, not a heap string and a pointer string each: at a million
// domains that is the difference between 4x and 14x the policy's size in memory.
class NameStore {
 public:
  static constexpr std::uint32_t kArenaBit = 0x80000000u;
  static constexpr std::size_t kMaxText = kArenaBit - 1;  // offsets into the text are 31 bits

  explicit NameStore(std::string text = {}) : text_(std::move(text)) {}

  const std::string& text() const { return text_; }
  // Copies name into the arena; returns its offset (arena offsets carry kArenaBit).
  std::uint32_t Add(std::string_view name);
  std::string_view Get(std::uint32_t offset, std::uint32_t size) const {
    return (offset & kArenaBit) ? std::string_view(arena_).substr(offset & ~kArenaBit, size)
                                : std::string_view(text_).substr(offset, size);
  }

 private:
  std::string text_;
  std::string arena_;
};

// One domain of a route: its canonical A-label name (a view into the policy's NameStore) and
// its index in the route's "domains" array (for the JSON pointer of a diagnostic).
struct RouteDomain {
  std::string_view name;
  std::size_t index = 0;
};

// The domains of a route, in policy order: 8 bytes each in memory.
class DomainList {
 public:
  struct Entry {
    std::uint32_t offset;  // into the NameStore
    std::uint32_t size;
  };

  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = RouteDomain;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = RouteDomain;
    Iterator() = default;
    Iterator(const DomainList* list, std::size_t position) : list_(list), position_(position) {}
    RouteDomain operator*() const { return (*list_)[position_]; }
    Iterator& operator++() {
      ++position_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++position_;
      return old;
    }
    bool operator==(const Iterator& other) const { return position_ == other.position_; }

   private:
    const DomainList* list_ = nullptr;
    std::size_t position_ = 0;
  };

  DomainList() = default;  // its own store, made by the first Add
  explicit DomainList(std::shared_ptr<NameStore> store) : store_(std::move(store)) {}

  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  RouteDomain operator[](std::size_t position) const {
    const Entry& e = entries_[position];
    return {store_->Get(e.offset, e.size), indexes_.empty() ? position : indexes_[position]};
  }
  RouteDomain at(std::size_t position) const;  // throws std::out_of_range
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, entries_.size()}; }

  // Copies name into the store (the decoder's slow path, the model builders of tests).
  void Add(std::string_view name, std::size_t index);
  // A name already in the store (the parser's zero-copy path).
  void AddStored(std::uint32_t offset, std::uint32_t size, std::size_t index);
  // Keeps the entries for which `decide` returns true; it may replace an entry's name, which
  // is then copied into the store. Order and indexes are kept.
  template <typename Decide>
  void Filter(Decide decide);  // bool decide(RouteDomain, std::optional<std::string>& rename)

  NameStore& store();

 private:
  // Makes indexes_ hold every entry's index (which equals its position until then).
  void IndexEveryEntry();

  std::shared_ptr<NameStore> store_;
  std::vector<Entry> entries_;
  std::vector<std::uint32_t> indexes_;  // empty while every index equals the position
};

template <typename Decide>
void DomainList::Filter(Decide decide) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    std::optional<std::string> rename;
    if (!decide((*this)[i], rename)) {
      IndexEveryEntry();  // from here on, indexes differ from positions
      continue;
    }
    Entry entry = entries_[i];
    if (rename) entry = {store().Add(*rename), static_cast<std::uint32_t>(rename->size())};
    entries_[kept] = entry;
    if (!indexes_.empty()) indexes_[kept] = indexes_[i];
    ++kept;
  }
  entries_.resize(kept);
  if (!indexes_.empty()) indexes_.resize(kept);
}

struct Route {
  DomainList domains;
  bool subdomains = false;
  std::string relay;  // a relay name or "direct"
  std::string note;   // one line
  std::string pointer;

  // "/routes/N/domains/M"
  std::string DomainPointer(const RouteDomain& domain) const;
};

struct Origin {
  std::string name;
  std::vector<NetworkEntry> networks;
  std::string pointer;
};

struct SpfEntry {
  Domain domain;
  std::vector<Domain> include;
  std::vector<std::string> mechanisms;  // as written; checked by the SPF rules
  std::vector<std::string> mechanism_pointers;  // the JSON pointer of each mechanism
  std::string all = "~all";
  std::uint32_t ttl = 3600;
  std::string pointer;
};

// A route domain whose name an earlier one already has: Postfix keeps the first of two
// transport keys and qmail the last, so lint reports each, and emitters write each key once.
struct RepeatedDomain {
  std::size_t route;           // index into Policy::routes
  std::size_t position;        // into that route's domains
  std::size_t first_route;     // where the name stands first, in policy order
  std::size_t first_position;
};

struct Policy {
  std::string file;  // as given on the command line, for headers and messages
  int version = 1;
  std::vector<Relay> relays;  // sorted by name
  std::vector<Route> routes;  // in policy order
  std::string default_route = std::string(kDirect);
  std::string default_pointer;  // "/default" when given
  std::vector<Origin> origins;
  std::vector<SpfEntry> spf;
  // "mtas" names qmail, or is absent: lint warns about what stock qmail cannot do.
  bool for_qmail = true;

  // The text route domains point into (set by the decoder).
  std::shared_ptr<NameStore> names;
  // Set by the decoder, which finds them once for lint and the emitters alike.
  std::optional<std::vector<RepeatedDomain>> repeated_domains;

  const Relay* FindRelay(std::string_view name) const;
  // The relays that a route or the default sends mail through, sorted by name.
  std::vector<const Relay*> UsedRelays() const;
};

// Every repeat, in policy order: one pass with an open-addressing table of 8 bytes a slot
// (no copy of a name), so a million domains cost about 10 MB for the time of the call.
std::vector<RepeatedDomain> FindRepeatedDomains(const Policy& policy);
// policy.repeated_domains, or FindRepeatedDomains when the decoder did not set it (a policy
// built by hand).
std::vector<RepeatedDomain> RepeatedDomains(const Policy& policy);

}  // namespace mtaroute
