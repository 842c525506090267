// The qmail-send reader (through multilog: TAI64N stamps). "starting delivery N: msg M to
// remote ADDR" opens delivery N; "delivery N: success|deferral|failure: TEXT" ends it. The
// open deliveries are the only state kept, and each is dropped when it ends. TEXT is
// qmail-remote's report with '\n' as '/' and unsafe bytes as '_'; decoded here, '_' -> ' '
// (lossy: a real '_' becomes a space too, which the matching ignores anyway).
#include <charconv>

#include "triage/log_parser.h"

namespace mtaroute {
namespace {

using logtext::StartsWith;

// Reads "N: " at text; returns the length read, 0 if none.
std::size_t ReadNumber(std::string_view text, std::uint64_t& number) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || ptr + 2 > text.data() + text.size() || ptr[0] != ':' || ptr[1] != ' ') {
    return 0;
  }
  return static_cast<std::size_t>(ptr - text.data()) + 2;
}

// '_' -> ' '; a '/' that starts another reply line ("/550-5.7.1") -> ' '.
void Decode(std::string_view text, std::string& out) {
  out.assign(text);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '_') {
      out[i] = ' ';
    } else if (out[i] == '/' && i + 4 < out.size() && out[i + 1] >= '2' && out[i + 1] <= '5' &&
               out[i + 2] >= '0' && out[i + 2] <= '9' && out[i + 3] >= '0' && out[i + 3] <= '9' &&
               (out[i + 4] == '-' || out[i + 4] == '_')) {
      out[i] = ' ';
    }
  }
}

bool IsAddressChar(char c) {
  return (c >= '0' && c <= '9') || c == '.' || c == ':' || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

// Host address, reply and kind from a decoded report. False when no remote host was involved.
bool ReadReport(std::string_view text, Delivery& delivery) {
  static constexpr std::string_view kConnected = "Connected to ";
  static constexpr std::string_view kSaid = "Remote host said: ";
  std::size_t start = StartsWith(text, kConnected) ? kConnected.size() : 0;
  std::size_t end = start;
  while (end < text.size() && IsAddressChar(text[end])) ++end;
  if (end > start && end < text.size() && text[end] == ' ') {
    delivery.address = text.substr(start, end - start);
  }
  std::size_t said = text.find(kSaid);
  if (said != std::string_view::npos) {
    std::string_view reply = text.substr(said + kSaid.size());
    std::size_t giving_up = reply.find("/Giving up on ");
    if (giving_up != std::string_view::npos) reply = reply.substr(0, giving_up);
    while (!reply.empty() && (reply.back() == '/' || reply.back() == ' ')) reply.remove_suffix(1);
    delivery.reply = reply;
    return true;
  }
  if (text.find("wasn't able to establish an SMTP connection") != std::string_view::npos ||
      text.find("but connection died") != std::string_view::npos ||
      text.find("but greeting failed") != std::string_view::npos) {
    delivery.no_reply = true;
    return true;
  }
  return delivery.status == DeliveryStatus::kSent && !delivery.address.empty();
}

}  // namespace

bool LogParser::ParseQmail(std::string_view line, Delivery& delivery) {
  Stamp stamp;
  if (ParseTai64nStamp(line, stamp) == 0 || line.size() < 27 || line[25] != ' ') return false;
  last_format_ = LogFormat::kQmail;
  std::string_view rest = line.substr(26);
  std::uint64_t number = 0;
  if (StartsWith(rest, "starting delivery ")) {
    std::size_t n = ReadNumber(rest.substr(18), number);
    if (n == 0) return false;
    std::string_view what = rest.substr(18 + n);
    std::size_t to = what.find(" to remote ");
    if (to == std::string_view::npos) {
      qmail_open_.erase(number);  // a local delivery: nothing to follow
    } else {
      // qmail-send reuses delivery numbers (one per concurrent delivery, a few hundred at
      // most); a log with ever new numbers must not grow the table without bound.
      if (qmail_open_.size() >= kMaxOpenQmail && !qmail_open_.contains(number)) {
        qmail_open_.clear();
      }
      qmail_open_[number].assign(what.substr(to + 11));
    }
    return false;
  }
  if (!StartsWith(rest, "delivery ")) return false;
  std::size_t n = ReadNumber(rest.substr(9), number);
  if (n == 0) return false;
  auto open = qmail_open_.find(number);
  if (open == qmail_open_.end()) return false;
  recipient_.swap(open->second);
  qmail_open_.erase(open);
  std::string_view result = rest.substr(9 + n);
  delivery = Delivery{};
  if (StartsWith(result, "success: ")) {
    delivery.status = DeliveryStatus::kSent;
  } else if (StartsWith(result, "deferral: ")) {
    delivery.status = DeliveryStatus::kDeferred;
  } else if (StartsWith(result, "failure: ")) {
    delivery.status = DeliveryStatus::kBounced;
  } else {
    return false;
  }
  Decode(result.substr(result.find(": ") + 2), text_);
  delivery.stamp = stamp;
  delivery.recipient = recipient_;
  delivery.domain = logtext::DomainOf(recipient_, domain_);
  delivery.text = text_;
  if (delivery.domain.empty()) return false;
  return ReadReport(text_, delivery);
}

}  // namespace mtaroute
