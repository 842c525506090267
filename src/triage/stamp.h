// Log timestamps: parsing the forms the MTAs write (syslog "Nov 28 10:00:00", RFC 3339,
// Exim "2026-11-28 10:00:00", qmail's TAI64N labels) into one comparable value, and
// printing it as ISO 8601. No clock is read here: the caller supplies the year rule.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mtaroute {

struct Stamp {
  std::int64_t wall = 0;    // seconds since 1970-01-01 of the wall-clock time as written
  std::int32_t offset = 0;  // minutes east of UTC, when zoned
  bool valid = false;
  bool zoned = false;  // the offset is known (RFC 3339, TAI64N); else local time

  // For ordering: UTC when zoned, the wall clock otherwise (logs of one host).
  std::int64_t Instant() const { return zoned ? wall - std::int64_t{offset} * 60 : wall; }
  // "2026-11-28T10:00:00+09:00", "...Z" for UTC, no suffix for local time; "" if invalid.
  std::string ToString() const;
};

// Syslog's year-less stamps get a year: `year` when set (--year), else the year of `now`
// (seconds since the epoch, local wall clock), one less when that puts the date more than
// a day after now (a December log read in January).
struct YearRule {
  int year = 0;
  std::int64_t now = 0;
};

std::int64_t DaysFromCivil(int year, int month, int day);

// Each parser reads a stamp at the start of text and returns its length, 0 if none.
std::size_t ParseSyslogStamp(std::string_view text, const YearRule& rule, Stamp& stamp);
std::size_t ParseRfc3339Stamp(std::string_view text, Stamp& stamp);
// "2026-11-28 10:00:00", optional ".mmm" and " +0900" (Exim's log_timezone).
std::size_t ParseEximStamp(std::string_view text, Stamp& stamp);
// "@4000000069280c2a1d4c3b20": TAI64N label, converted to UTC (libtai's 10 s offset).
std::size_t ParseTai64nStamp(std::string_view text, Stamp& stamp);

}  // namespace mtaroute
