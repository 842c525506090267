// Reading one log line of Postfix (syslog or maillog_file, classic or RFC 3339 stamps), Exim
// (mainlog) or qmail (qmail-send through multilog) into a remote delivery attempt. The format
// is recognised per line, so concatenated logs work. Fields are found by name, never by
// position. No classification here (classify.h), no grouping (triage.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "triage/stamp.h"

namespace mtaroute {

enum class DeliveryStatus : std::uint8_t { kSent, kDeferred, kBounced };

// Views into the line and into the parser's buffers: valid until the next Parse().
struct Delivery {
  DeliveryStatus status = DeliveryStatus::kSent;
  Stamp stamp;
  std::string_view recipient;  // "" for a non-final MX's soft error (Postfix)
  std::string_view domain;     // of the recipient, lower case
  std::string_view host;       // receiving host's name as logged ("" when only the IP is)
  std::string_view address;    // its IP address, "" when unknown
  int port = 0;                // 0 when not logged
  std::string_view text;       // the reason as logged (qmail's decoded); the sample
  std::string_view reply;      // the SMTP reply alone, multi-line joined; "" when none
  std::string_view dsn;        // Postfix dsn=, else ""
  bool no_reply = false;       // failed without a reply: lost connection, timeout, refused
  bool nonfinal = false;       // Postfix: a non-final MX's soft error, logged without to=
};

enum class LogFormat : std::uint8_t { kNone, kPostfix, kExim, kQmail };

class LogParser {
 public:
  explicit LogParser(YearRule year_rule) : year_rule_(year_rule) {}

  // True when line (without its newline) is a remote delivery attempt with a result.
  bool Parse(std::string_view line, Delivery& delivery);
  // The format of the last line that was recognised as a log line of some MTA.
  LogFormat last_format() const { return last_format_; }
  // qmail deliveries started and not yet ended (memory held between lines).
  std::size_t open_qmail_deliveries() const { return qmail_open_.size(); }
  static constexpr std::size_t kMaxOpenQmail = 65536;

 private:
  bool ParsePostfix(std::string_view line, Delivery& delivery);
  bool ParseExim(std::string_view line, Delivery& delivery);
  bool ParseQmail(std::string_view line, Delivery& delivery);

  YearRule year_rule_;
  LogFormat last_format_ = LogFormat::kNone;
  std::unordered_map<std::uint64_t, std::string> qmail_open_;  // delivery N -> recipient
  std::string text_;                                           // decoded qmail text
  std::string recipient_;  // qmail recipient of the ended delivery
  std::string domain_;     // lower-cased domain
};

// Helpers shared by the format parsers (log_parser_util.cc).
namespace logtext {
// "name[1.2.3.4]:25" or "name[1.2.3.4]" -> host, address, port. False without brackets.
bool SplitHostAddress(std::string_view text, std::string_view& host, std::string_view& address,
                      int& port);
// The domain of an address, lower case (into buffer when it must change).
std::string_view DomainOf(std::string_view address, std::string& buffer);
// Inline, so that a literal prefix compiles to a few byte compares (the hot path).
inline bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         __builtin_memcmp(text.data(), prefix.data(), prefix.size()) == 0;
}
}  // namespace logtext

}  // namespace mtaroute
