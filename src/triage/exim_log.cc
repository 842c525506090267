// The Exim mainlog reader: "=>"/"->" delivered, "**" bounced, "==" deferred, with the
// remote host in H= and the reply after "SMTP error from remote mail server after ...".
// Both separators before the reason (" : " of Exim 4.99, ": " before) are accepted.
#include "triage/log_parser.h"

namespace mtaroute {
namespace {

using logtext::StartsWith;

bool IsMessageId(std::string_view id) {
  if ((id.size() != 16 && id.size() != 23) || id[6] != '-') return false;
  for (char c : id) {
    bool ok =
        (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-';
    if (!ok) return false;
  }
  return true;
}

// " H=name [ip]:port" or " H=[ip]" -> host fields; returns the position after them, or npos.
std::size_t ReadHost(std::string_view line, std::size_t from, Delivery& delivery) {
  std::size_t h = line.find(" H=", from);
  if (h == std::string_view::npos) return h;
  std::size_t begin = h + 3;
  std::size_t close = line.find(']', begin);
  if (close == std::string_view::npos) return std::string_view::npos;
  std::size_t end = close + 1;
  while (end < line.size() && line[end] >= '0' && line[end] <= '9') ++end;
  if (end < line.size() && line[end] == ':') {  // ":port"
    ++end;
    while (end < line.size() && line[end] >= '0' && line[end] <= '9') ++end;
  }
  std::string_view part = line.substr(begin, end - begin);
  // "name [ip]:port": drop the space so that SplitHostAddress sees "name[ip]:port".
  std::size_t space = part.find(" [");
  std::string_view name =
      space == std::string_view::npos ? std::string_view{} : part.substr(0, space);
  std::string_view bracketed = space == std::string_view::npos ? part : part.substr(space + 1);
  std::string_view ignored;
  if (!logtext::SplitHostAddress(bracketed, ignored, delivery.address, delivery.port)) {
    return std::string_view::npos;
  }
  delivery.host = name;
  return end;
}

// The reply in "... SMTP error from remote mail server after CMD: 550 ...": the first ": "
// after "after " that is followed by a reply code.
std::string_view FindReply(std::string_view text) {
  static constexpr std::string_view kError = "SMTP error from remote mail server after ";
  std::size_t pos = text.find(kError);
  if (pos == std::string_view::npos) return {};
  pos += kError.size();
  while ((pos = text.find(": ", pos)) != std::string_view::npos) {
    pos += 2;
    if (pos + 3 <= text.size() && text[pos] >= '2' && text[pos] <= '5' && text[pos + 1] >= '0' &&
        text[pos + 1] <= '9' && text[pos + 2] >= '0' && text[pos + 2] <= '9') {
      return text.substr(pos);
    }
  }
  return {};
}

bool IsConnectionFailure(std::string_view text) {
  for (std::string_view phrase : {"Connection refused", "Connection timed out", "SMTP timeout",
                                  "closed connection", "Connection reset", "timed out"}) {
    if (text.find(phrase) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

bool LogParser::ParseExim(std::string_view line, Delivery& delivery) {
  Stamp stamp;
  std::size_t pos = ParseEximStamp(line, stamp);
  if (pos == 0) return false;
  if (StartsWith(line.substr(pos), " [")) {  // log_selector +pid
    pos = line.find("] ", pos);
    if (pos == std::string_view::npos) return false;
    ++pos;
  }
  if (pos >= line.size() || line[pos] != ' ') return false;
  std::size_t id_end = line.find(' ', pos + 1);
  if (id_end == std::string_view::npos || !IsMessageId(line.substr(pos + 1, id_end - pos - 1))) {
    return false;
  }
  last_format_ = LogFormat::kExim;
  std::string_view flag = line.substr(id_end + 1, 3);
  delivery = Delivery{};
  if (flag == "=> " || flag == "-> ") {
    delivery.status = DeliveryStatus::kSent;
  } else if (flag == "** ") {
    delivery.status = DeliveryStatus::kBounced;
  } else if (flag == "== ") {
    delivery.status = DeliveryStatus::kDeferred;
  } else {
    return false;
  }
  std::size_t rcpt = id_end + 4;
  std::size_t rcpt_end = line.find_first_of(" ", rcpt);
  std::string_view recipient =
      line.substr(rcpt, rcpt_end == std::string_view::npos ? rcpt_end : rcpt_end - rcpt);
  if (!recipient.empty() && recipient.back() == ':') recipient.remove_suffix(1);
  delivery.recipient = recipient;
  delivery.domain = logtext::DomainOf(recipient, domain_);
  delivery.stamp = stamp;
  if (delivery.domain.empty() || rcpt_end == std::string_view::npos) return false;
  std::size_t after_host = ReadHost(line, rcpt_end, delivery);
  if (after_host == std::string_view::npos) return false;  // local delivery or no host tried
  if (delivery.status == DeliveryStatus::kSent) return true;
  delivery.text = line.substr(line.find(" H=", rcpt_end) + 1);
  delivery.reply = FindReply(delivery.text);
  if (delivery.reply.empty()) {
    delivery.no_reply = IsConnectionFailure(line.substr(after_host));
    return delivery.no_reply;
  }
  return true;
}

}  // namespace mtaroute
