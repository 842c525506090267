// The grouping pass. A success costs one hash lookup (its domain) and a provider lookup by
// host suffix; a failure adds the reply's normalisation, the rule match and a group lookup.
#include "triage/triage.h"

#include <algorithm>

namespace mtaroute {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

bool SentThrough(const Delivery& delivery, const RelayTarget& relay) {
  bool host =
      EqualsIgnoreCase(delivery.host, relay.host) || EqualsIgnoreCase(delivery.address, relay.host);
  return host && (delivery.port == 0 || delivery.port == relay.port);
}

void Widen(Stamp& first, Stamp& last, const Stamp& stamp) {
  if (!stamp.valid) return;
  if (!first.valid || stamp.Instant() < first.Instant()) first = stamp;
  if (!last.valid || stamp.Instant() >= last.Instant()) last = stamp;
}

}  // namespace

std::string HostLabel(std::string_view host, std::string_view address) {
  std::string label(host);
  if (!address.empty()) {
    label += '[';
    label += address;
    label += ']';
  }
  return label;
}

Triage::Triage(const Classifier& classifier, std::vector<RelayTarget> relays)
    : classifier_(classifier), relays_(std::move(relays)) {}

Triage::DomainStats* Triage::Domain(std::string_view domain) {
  std::size_t hash = Hash{}(domain);
  CacheSlot& slot = domain_cache_[hash % domain_cache_.size()];
  if (slot.stats != nullptr && slot.hash == hash && *slot.domain == domain) return slot.stats;
  auto it = domains_.find(domain);
  if (it == domains_.end()) {
    if (domains_.size() >= kMaxDomains) {
      ++untracked_;
      return nullptr;
    }
    DomainStats stats;
    stats.sent.assign(classifier_.provider_count(), 0);
    stats.relays.resize(relays_.size());
    stats.by_domain = classifier_.ProviderFromDomain(domain);
    stats.last_host_provider = classifier_.Other();
    it = domains_.emplace(std::string(domain), std::move(stats)).first;
  }
  slot = CacheSlot{hash, &it->first, &it->second};  // nodes never move
  return &it->second;
}

// By MX host name; else what an earlier MX host name told about the domain; else by the
// recipient domain itself. Classify() may still find it in the reply text.
ProviderId Triage::Provider(const Delivery& delivery, DomainStats* stats) {
  if (stats == nullptr) {
    ProviderId provider = classifier_.ProviderFromHost(delivery.host);
    return provider != classifier_.Other() ? provider
                                           : classifier_.ProviderFromDomain(delivery.domain);
  }
  if (delivery.host != stats->last_host) {  // most deliveries of a domain go to one MX
    stats->last_host.assign(delivery.host);
    stats->last_host_provider = classifier_.ProviderFromHost(delivery.host);
  }
  ProviderId provider = stats->last_host_provider;
  if (provider != classifier_.Other()) {
    stats->learned = provider;
    return provider;
  }
  if (stats->learned >= 0) return static_cast<ProviderId>(stats->learned);
  return stats->by_domain;
}

void Triage::AddSent(const Delivery& delivery, DomainStats& stats, ProviderId provider) {
  ++sent_;
  ++stats.sent[provider];
  for (std::size_t i = 0; i < relays_.size(); ++i) {
    if (!SentThrough(delivery, relays_[i])) continue;
    RelayStats& relay = stats.relays[i];
    ++relay.sent;
    ++relay.sent_since_failure;
    if (delivery.stamp.valid) relay.last_sent = delivery.stamp;
  }
}

Classification Triage::Classify(const Delivery& delivery, ProviderId& provider) {
  if (delivery.no_reply) {
    return {Reason::kConnection, classifier_.HelpsFor(provider, Reason::kConnection), {}};
  }
  NormalizeReply(delivery.reply, true, normalized_);
  if (provider == classifier_.Other()) provider = classifier_.ProviderFromText(normalized_);
  return classifier_.Classify(normalized_, ExtractStatusCode(delivery.reply, delivery.dsn),
                              provider);
}

Group& Triage::FindGroup(Map& map, std::string_view name, ProviderId provider, Reason reason) {
  key_.assign(name);
  key_ += '\0';
  key_ += static_cast<char>(provider);
  key_ += static_cast<char>(reason);
  auto it = map.find(std::string_view(key_));
  if (it != map.end()) return it->second;
  Group group;
  group.provider = provider;
  group.reason = reason;
  return map.emplace(key_, std::move(group)).first->second;
}

void Triage::Record(Group& group, const Delivery& delivery, const Classification& result) {
  group.helps = result.helps;
  ++(delivery.status == DeliveryStatus::kBounced ? group.bounced : group.deferred);
  Widen(group.first, group.last, delivery.stamp);
  if (!delivery.host.empty() || !delivery.address.empty()) {
    std::string label = HostLabel(delivery.host, delivery.address);
    if (std::find(group.hosts.begin(), group.hosts.end(), label) == group.hosts.end()) {
      if (group.hosts.size() < Group::kMaxHosts) {
        group.hosts.push_back(std::move(label));
      } else {
        group.more_hosts = true;
      }
    }
  }
  if (!result.list.empty() &&
      std::find(group.lists.begin(), group.lists.end(), result.list) == group.lists.end()) {
    group.lists.push_back(result.list);
  }
  if (group.sample.empty()) group.sample.assign(delivery.text.substr(0, Group::kMaxSample));
}

void Triage::Add(const Delivery& delivery) {
  ++deliveries_;
  if (delivery.nonfinal) {
    ++failed_;
    ProviderId provider = Provider(delivery, nullptr);
    Classification result = Classify(delivery, provider);
    Group& group =
        FindGroup(nonfinal_, HostLabel(delivery.host, delivery.address), provider, result.reason);
    Record(group, delivery, result);
    return;
  }
  DomainStats* stats = Domain(delivery.domain);
  ProviderId provider = Provider(delivery, stats);
  if (delivery.status == DeliveryStatus::kSent) {
    if (stats != nullptr) {
      AddSent(delivery, *stats, provider);
    } else {
      ++sent_;
    }
    return;
  }
  ++failed_;
  if (stats != nullptr) {
    for (RelayStats& relay : stats->relays) relay.sent_since_failure = 0;
  }
  Classification result = Classify(delivery, provider);
  Group& group = FindGroup(groups_, delivery.domain, provider, result.reason);
  if (group.domain.empty()) group.domain.assign(delivery.domain);
  Record(group, delivery, result);
}

std::vector<const Group*> Triage::Groups() const {
  std::vector<const Group*> out;
  for (const auto& [key, group] : groups_) out.push_back(&group);
  std::sort(out.begin(), out.end(), [](const Group* a, const Group* b) {
    if (a->failures() != b->failures()) return a->failures() > b->failures();
    if (a->domain != b->domain) return a->domain < b->domain;
    if (a->provider != b->provider) return a->provider < b->provider;
    return a->reason < b->reason;
  });
  return out;
}

std::vector<const Group*> Triage::NonFinal() const {
  std::vector<const Group*> out;
  for (const auto& [key, group] : nonfinal_) out.push_back(&group);
  std::sort(out.begin(), out.end(), [](const Group* a, const Group* b) {
    if (a->failures() != b->failures()) return a->failures() > b->failures();
    return a->hosts < b->hosts || (a->hosts == b->hosts && a->reason < b->reason);
  });
  return out;
}

std::uint64_t Triage::Sent(std::string_view domain, ProviderId provider) const {
  auto it = domains_.find(domain);
  if (it == domains_.end()) return 0;
  const DomainStats& stats = it->second;
  std::uint64_t sent = stats.sent[provider];
  // Successes logged before an MX host name revealed the provider count for it too.
  if (stats.learned == provider && provider != classifier_.Other()) {
    sent += stats.sent[classifier_.Other()];
  }
  return sent;
}

const RelayStats* Triage::ViaRelay(std::string_view domain, std::size_t index) const {
  auto it = domains_.find(domain);
  if (it == domains_.end() || index >= it->second.relays.size()) return nullptr;
  const RelayStats& stats = it->second.relays[index];
  return stats.sent == 0 ? nullptr : &stats;
}

}  // namespace mtaroute
