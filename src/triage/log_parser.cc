// Per-line dispatch and the Postfix reader. The hot path rejects the lines that are not
// delivery results (most of a log) with two memchr calls and a few byte compares.
#include "triage/log_parser.h"

#include <algorithm>
#include <cstring>

namespace mtaroute {
namespace logtext {

bool SplitHostAddress(std::string_view text, std::string_view& host, std::string_view& address,
                      int& port) {
  std::size_t open = text.find('[');
  if (open == std::string_view::npos) return false;
  std::size_t close = text.find(']', open);
  if (close == std::string_view::npos) return false;
  host = text.substr(0, open);
  address = text.substr(open + 1, close - open - 1);
  port = 0;
  for (std::size_t i = close + 2;
       close + 1 < text.size() && text[close + 1] == ':' && i < text.size() && text[i] >= '0' &&
       text[i] <= '9' && port < 65536;
       ++i) {
    port = port * 10 + (text[i] - '0');
  }
  return true;
}

std::string_view DomainOf(std::string_view address, std::string& buffer) {
  std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string_view domain = address.substr(at + 1);
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  bool upper = false;
  for (char c : domain) upper = upper || (c >= 'A' && c <= 'Z');
  if (!upper) return domain;
  buffer.assign(domain);
  for (char& c : buffer) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return buffer;
}

}  // namespace logtext

namespace {

using logtext::StartsWith;

bool IsQueueIdChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// Position just after "]: " of the program tag, or npos.
std::size_t MessageStart(std::string_view line) {
  std::size_t pos = 15;
  while (pos < line.size()) {
    const void* hit = std::memchr(line.data() + pos, ']', line.size() - pos);
    if (hit == nullptr) return std::string_view::npos;
    pos = static_cast<std::size_t>(static_cast<const char*>(hit) - line.data()) + 1;
    if (pos + 1 < line.size() && line[pos] == ':' && line[pos + 1] == ' ') return pos + 2;
  }
  return std::string_view::npos;
}

// The service part of the program tag before message_start: "postfix-out/smtp[12]: " -> "smtp".
std::string_view Service(std::string_view line, std::size_t message_start) {
  std::size_t bracket = line.rfind('[', message_start);
  if (bracket == std::string_view::npos) return {};
  std::size_t begin = line.find_last_of(" /", bracket);
  return line.substr(begin + 1, bracket - begin - 1);
}

bool IsLocalService(std::string_view service) {
  return service == "local" || service == "virtual" || service == "pipe" || service == "lmtp" ||
         service == "discard";
}

// Reads a failure text ("host H[IP] said: ...", "lost connection with H[IP] while ...") into
// delivery. False when the failure had nothing to do with a remote server (DNS, local).
bool ReadPostfixReason(std::string_view text, Delivery& delivery) {
  static constexpr std::string_view kSuspended = "delivery temporarily suspended: ";
  if (StartsWith(text, kSuspended)) text.remove_prefix(kSuspended.size());
  std::string_view host_part;
  if (StartsWith(text, "host ")) {
    std::size_t end = text.find(' ', 5);
    if (end == std::string_view::npos) return false;
    host_part = text.substr(5, end - 5);
    std::string_view rest = text.substr(end);
    if (StartsWith(rest, " said: ")) {
      rest.remove_prefix(7);
    } else if (StartsWith(rest, " refused to talk to me: ")) {
      rest.remove_prefix(24);
    } else {
      return false;
    }
    std::size_t in_reply = rest.rfind(" (in reply to ");
    delivery.reply = in_reply == std::string_view::npos ? rest : rest.substr(0, in_reply);
  } else {
    std::size_t skip = StartsWith(text, "lost connection with ") ? 21
                       : StartsWith(text, "conversation with ")  ? 18
                       : StartsWith(text, "connect to ")         ? 11
                                                                 : 0;
    if (skip == 0) return false;
    std::size_t end = text.find(']', skip);
    if (end == std::string_view::npos) return false;
    host_part = text.substr(skip, end + 1 - skip);
    delivery.no_reply = true;
  }
  if (delivery.address.empty()) {
    int port = 0;
    logtext::SplitHostAddress(host_part, delivery.host, delivery.address, port);
  }
  return true;
}

// The fields after "to=<rcpt>, ", in one pass and by name: "[orig_to=<...>, ]relay=H[IP]:P,
// [conn_use=N, ]delay=D, delays=a/b/c/d, [tls=..., ]dsn=X.Y.Z, status=S (TEXT)". Values
// other than addresses and the status text hold no ", ".
struct PostfixFields {
  std::string_view relay, dsn, status, text;
};

bool ReadFields(std::string_view rest, PostfixFields& fields) {
  const char* p = rest.data();
  const char* end = p + rest.size();
  while (p < end) {
    const char* eq = static_cast<const char*>(std::memchr(p, '=', end - p));
    if (eq == nullptr) return false;
    std::string_view name(p, eq - p);
    const char* value = eq + 1;
    if (name == "status") {
      const char* space = static_cast<const char*>(std::memchr(value, ' ', end - value));
      fields.status = std::string_view(value, (space ? space : end) - value);
      if (space != nullptr && space + 2 <= end && space[1] == '(') {
        fields.text = std::string_view(space + 2, end - space - 2);
        if (!fields.text.empty() && fields.text.back() == ')') fields.text.remove_suffix(1);
      }
      return true;
    }
    const char* stop = value;
    if (value < end && *value == '<') {  // an address: may hold ", "
      stop = static_cast<const char*>(std::memchr(value, '>', end - value));
      if (stop == nullptr) return false;
    }
    for (;;) {
      stop = static_cast<const char*>(std::memchr(stop, ',', end - stop));
      if (stop == nullptr || stop + 1 >= end) return false;
      if (stop[1] == ' ') break;
      ++stop;
    }
    std::string_view field(value, stop - value);
    if (name == "relay") {
      fields.relay = field;
    } else if (name == "dsn") {
      fields.dsn = field;
    }
    p = stop + 2;
  }
  return false;
}

// "to=<rcpt>, ..." after "QUEUEID: ".
bool ParsePostfixDelivery(std::string_view rest, Delivery& delivery, std::string& domain_buf) {
  std::size_t rcpt_end = rest.find(">, ");
  if (rcpt_end == std::string_view::npos) return false;
  delivery.recipient = rest.substr(4, rcpt_end - 4);
  PostfixFields fields;
  if (!ReadFields(rest.substr(rcpt_end + 3), fields)) return false;
  if (fields.status == "sent") {
    delivery.status = DeliveryStatus::kSent;
  } else if (fields.status == "deferred") {
    delivery.status = DeliveryStatus::kDeferred;
  } else if (fields.status == "bounced") {
    delivery.status = DeliveryStatus::kBounced;
  } else {
    return false;
  }
  delivery.domain = logtext::DomainOf(delivery.recipient, domain_buf);
  if (delivery.domain.empty()) return false;
  logtext::SplitHostAddress(fields.relay, delivery.host, delivery.address, delivery.port);
  if (delivery.status == DeliveryStatus::kSent) return !delivery.address.empty();
  delivery.dsn = fields.dsn;
  delivery.text = fields.text;
  if (delivery.text.empty()) return false;
  return ReadPostfixReason(delivery.text, delivery);
}

}  // namespace

bool LogParser::Parse(std::string_view line, Delivery& delivery) {
  if (line.size() < 20) return false;
  char c = line[0];
  if (c == '@') return ParseQmail(line, delivery);
  if (c >= '0' && c <= '9' && line[4] == '-') {
    if (line[10] == ' ') return ParseExim(line, delivery);
    if (line[10] == 'T') return ParsePostfix(line, delivery);
    return false;
  }
  if (c >= 'A' && c <= 'Z') return ParsePostfix(line, delivery);
  return false;
}

bool LogParser::ParsePostfix(std::string_view line, Delivery& delivery) {
  std::size_t message = MessageStart(line);
  if (message == std::string_view::npos) return false;
  last_format_ = LogFormat::kPostfix;
  // "QUEUEID: to=<" or "QUEUEID: host ": find the ':' first (one memchr, no per-byte
  // branches), check the words after it, and only then that a queue id precedes it.
  constexpr std::size_t kMaxQueueId = 32;
  const char* colon = static_cast<const char*>(
      std::memchr(line.data() + message, ':', std::min(kMaxQueueId, line.size() - message)));
  if (colon == nullptr) return false;
  std::size_t id_end = static_cast<std::size_t>(colon - line.data());
  std::string_view rest = line.substr(id_end + 1);
  bool to = StartsWith(rest, " to=<");
  if (!to && !StartsWith(rest, " host ")) return false;
  rest.remove_prefix(1);
  for (std::size_t i = message; i < id_end; ++i) {
    if (!IsQueueIdChar(line[i])) return false;
  }
  if (id_end == message || IsLocalService(Service(line, message))) return false;
  delivery = Delivery{};
  if (to) {
    if (!ParsePostfixDelivery(rest, delivery, domain_)) return false;
  } else {
    // A non-final MX's soft error: "QUEUEID: host H[IP] said: 421 ...", no to=.
    delivery.status = DeliveryStatus::kDeferred;
    delivery.nonfinal = true;
    delivery.text = rest;
    if (!ReadPostfixReason(rest, delivery)) return false;
  }
  if (line[0] >= 'A' && line[0] <= 'Z') {
    ParseSyslogStamp(line, year_rule_, delivery.stamp);
  } else {
    ParseRfc3339Stamp(line, delivery.stamp);
  }
  return true;
}

}  // namespace mtaroute
