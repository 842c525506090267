// Timestamp parsing by hand (digits at fixed places): it runs once per delivery line.
#include "triage/stamp.h"

#include <fmt/format.h>

namespace mtaroute {
namespace {

bool Digits(std::string_view text, std::size_t pos, std::size_t count, int& value) {
  if (pos + count > text.size()) return false;
  value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return true;
}

bool ValidTime(int month, int day, int hour, int minute, int second) {
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 &&
         second <= 60;
}

std::int64_t Seconds(int year, int month, int day, int hour, int minute, int second) {
  return DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

// "YYYY-MM-DD?hh:mm:ss" with any separator at position 10; fills wall.
bool DateTime(std::string_view text, Stamp& stamp) {
  int year, month, day, hour, minute, second;
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || text[13] != ':' || text[16] != ':' ||
      !Digits(text, 0, 4, year) || !Digits(text, 5, 2, month) || !Digits(text, 8, 2, day) ||
      !Digits(text, 11, 2, hour) || !Digits(text, 14, 2, minute) || !Digits(text, 17, 2, second) ||
      !ValidTime(month, day, hour, minute, second)) {
    return false;
  }
  stamp.wall = Seconds(year, month, day, hour, minute, second);
  return true;
}

std::size_t SkipFraction(std::string_view text, std::size_t pos) {
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
  }
  return pos;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::int64_t DaysFromCivil(int year, int month, int day) {
  // Howard Hinnant's days_from_civil.
  year -= month <= 2;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::string Stamp::ToString() const {
  if (!valid) return {};
  std::int64_t days = wall >= 0 ? wall / 86400 : (wall - 86399) / 86400;
  std::int64_t rest = wall - days * 86400;
  // civil_from_days
  std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", year, month, day,
                                rest / 3600, rest / 60 % 60, rest % 60);
  if (!zoned) return out;
  if (offset == 0) return out + "Z";
  int minutes = offset < 0 ? -offset : offset;
  return out + fmt::format("{}{:02}:{:02}", offset < 0 ? '-' : '+', minutes / 60, minutes % 60);
}

std::size_t ParseSyslogStamp(std::string_view text, const YearRule& rule, Stamp& stamp) {
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (text.size() < 15 || text[3] != ' ' || text[9] != ':' || text[12] != ':') return 0;
  std::size_t m = kMonths.find(text.substr(0, 3));
  if (m == std::string_view::npos || m % 3 != 0) return 0;
  int month = static_cast<int>(m / 3) + 1;
  int day, hour, minute, second;
  if (text[4] == ' ') {
    if (!Digits(text, 5, 1, day)) return 0;
  } else if (!Digits(text, 4, 2, day)) {
    return 0;
  }
  if (!Digits(text, 7, 2, hour) || !Digits(text, 10, 2, minute) || !Digits(text, 13, 2, second) ||
      !ValidTime(month, day, hour, minute, second)) {
    return 0;
  }
  int year = rule.year;
  if (year == 0) {
    std::int64_t now_days = rule.now / 86400;
    // The year of `now`: step from an estimate to the exact value.
    year = static_cast<int>(1970 + now_days / 365);
    while (DaysFromCivil(year, 1, 1) > now_days) --year;
    while (DaysFromCivil(year + 1, 1, 1) <= now_days) ++year;
    if (Seconds(year, month, day, hour, minute, second) > rule.now + 86400) --year;
  }
  stamp = Stamp{Seconds(year, month, day, hour, minute, second), 0, true, false};
  return 15;
}

std::size_t ParseRfc3339Stamp(std::string_view text, Stamp& stamp) {
  Stamp parsed;
  if (text.size() < 20 || (text[10] != 'T' && text[10] != 't') || !DateTime(text, parsed)) {
    return 0;
  }
  std::size_t pos = SkipFraction(text, 19);
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 <= text.size() && (text[pos] == '+' || text[pos] == '-') &&
             text[pos + 3] == ':') {
    int hours, minutes;
    if (!Digits(text, pos + 1, 2, hours) || !Digits(text, pos + 4, 2, minutes)) return 0;
    parsed.offset = (text[pos] == '-' ? -1 : 1) * (hours * 60 + minutes);
    pos += 6;
  } else {
    return 0;
  }
  parsed.valid = parsed.zoned = true;
  stamp = parsed;
  return pos;
}

std::size_t ParseEximStamp(std::string_view text, Stamp& stamp) {
  Stamp parsed;
  if (text.size() < 19 || text[10] != ' ' || !DateTime(text, parsed)) return 0;
  std::size_t pos = SkipFraction(text, 19);
  int hours, minutes;
  if (pos + 6 <= text.size() && text[pos] == ' ' &&
      (text[pos + 1] == '+' || text[pos + 1] == '-') && Digits(text, pos + 2, 2, hours) &&
      Digits(text, pos + 4, 2, minutes) && (pos + 6 == text.size() || text[pos + 6] == ' ')) {
    parsed.offset = (text[pos + 1] == '-' ? -1 : 1) * (hours * 60 + minutes);
    parsed.zoned = true;
    pos += 6;
  }
  parsed.valid = true;
  stamp = parsed;
  return pos;
}

std::size_t ParseTai64nStamp(std::string_view text, Stamp& stamp) {
  if (text.size() < 25 || text[0] != '@') return 0;
  std::uint64_t label = 0;
  for (std::size_t i = 1; i <= 24; ++i) {
    int v = HexValue(text[i]);
    if (v < 0) return 0;
    if (i <= 16) label = label << 4 | static_cast<unsigned>(v);
  }
  constexpr std::uint64_t kBase = std::uint64_t{1} << 62;
  if (label < kBase + 10) return 0;
  stamp = Stamp{static_cast<std::int64_t>(label - kBase - 10), 0, true, true};
  return 25;
}

}  // namespace mtaroute
