// Grouping delivery attempts: failures by (recipient domain, provider, reason), successes per
// (domain, provider), successes through each relay of a policy per domain, and non-final MX
// soft errors per (host, provider, reason). Memory grows with the number of groups and
// domains, never with the number of lines: raw reply texts are never keys.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "triage/classify.h"
#include "triage/log_parser.h"

namespace mtaroute {

// A relay of the policy as it appears in logs: relay=HOST[ip]:PORT.
struct RelayTarget {
  std::string host;  // name or address, canonical (lower case)
  int port = 25;
};

struct RelayStats {
  std::uint64_t sent = 0;
  std::uint64_t sent_since_failure = 0;  // since the domain's last failure, in log order
  Stamp last_sent;
};

struct Group {
  static constexpr std::size_t kMaxHosts = 8;
  static constexpr std::size_t kMaxSample = 2000;

  std::string domain;  // "" for non-final MX soft errors (their hosts name them)
  ProviderId provider = 0;
  Reason reason = Reason::kOther;
  Helps helps = Helps::kUnclear;
  std::uint64_t bounced = 0;
  std::uint64_t deferred = 0;
  Stamp first, last;
  std::vector<std::string> hosts;       // "name[ip]", first kMaxHosts seen
  bool more_hosts = false;              // there were other hosts than those
  std::vector<std::string_view> lists;  // block lists named (names from BlockLists())
  std::string sample;                   // the first reply as logged, per-message tokens included

  std::uint64_t failures() const { return bounced + deferred; }
};

class Triage {
 public:
  Triage(const Classifier& classifier, std::vector<RelayTarget> relays);

  void Add(const Delivery& delivery);

  // Failure groups by impact (bounced + deferred, descending), then domain, provider, reason.
  std::vector<const Group*> Groups() const;
  // Non-final MX soft errors (domain ""), by count.
  std::vector<const Group*> NonFinal() const;
  // Deliveries sent to domain whose receiving host belongs to provider.
  std::uint64_t Sent(std::string_view domain, ProviderId provider) const;
  // Deliveries to domain sent through relays()[index]; nullptr when none.
  const RelayStats* ViaRelay(std::string_view domain, std::size_t index) const;
  const std::vector<RelayTarget>& relays() const { return relays_; }

  std::uint64_t deliveries() const { return deliveries_; }
  std::uint64_t sent() const { return sent_; }
  std::uint64_t failed() const { return failed_; }
  // Per-domain counters (sent mail, relay success) are kept for this many domains: memory
  // must not grow with a log of ever new recipient domains. Deliveries to domains past it
  // count in the totals and in failure groups, not in a group's "sent".
  static constexpr std::size_t kMaxDomains = 100000;
  std::uint64_t untracked() const { return untracked_; }
  std::size_t domain_count() const { return domains_.size(); }

 private:
  struct DomainStats {
    std::vector<std::uint64_t> sent;  // by provider
    int learned = -1;                 // provider known from an MX host name
    ProviderId by_domain = 0;         // provider known from the domain itself
    std::string last_host;            // cache: the last MX host name and its provider
    ProviderId last_host_provider = 0;
    std::vector<RelayStats> relays;  // by relays_ index
  };
  struct Hash {  // FNV-1a: domains are short
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const {
      std::uint64_t h = 14695981039346656037ull;
      for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
      return static_cast<std::size_t>(h);
    }
  };
  // In front of domains_: most deliveries go to a few big domains.
  struct CacheSlot {
    std::size_t hash = 0;
    const std::string* domain = nullptr;
    DomainStats* stats = nullptr;
  };
  using Map = std::unordered_map<std::string, Group, Hash, std::equal_to<>>;

  // The domain's counters; nullptr for a new domain once kMaxDomains are tracked.
  DomainStats* Domain(std::string_view domain);
  ProviderId Provider(const Delivery& delivery, DomainStats* stats);
  void AddSent(const Delivery& delivery, DomainStats& stats, ProviderId provider);
  Group& FindGroup(Map& map, std::string_view name, ProviderId provider, Reason reason);
  void Record(Group& group, const Delivery& delivery, const Classification& result);
  Classification Classify(const Delivery& delivery, ProviderId& provider);

  const Classifier& classifier_;
  std::vector<RelayTarget> relays_;
  std::unordered_map<std::string, DomainStats, Hash, std::equal_to<>> domains_;
  std::array<CacheSlot, 256> domain_cache_{};
  Map groups_;
  Map nonfinal_;
  std::string key_;         // scratch: group key
  std::string normalized_;  // scratch: normalised reply
  std::uint64_t deliveries_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t untracked_ = 0;  // deliveries to domains past kMaxDomains
};

// "name[ip]" as logs write it; "[ip]" when the name is unknown; the name alone without ip.
std::string HostLabel(std::string_view host, std::string_view address);

}  // namespace mtaroute
