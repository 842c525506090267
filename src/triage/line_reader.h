// Streaming a log file line by line in constant memory: plain or gzip-compressed (detected by
// content, so rotated "maillog.1.gz" and a compressed standard input both work; zlib's
// inflate, concatenated members included), "-" for standard input. Refuses directories;
// reads regular files, pipes and FIFOs without blocking on open. Lines longer than kMaxLine
// are skipped and counted.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mtaroute {

class LineReader {
 public:
  static constexpr std::size_t kChunk = 1 << 20;
  static constexpr std::size_t kMaxLine = 1 << 20;

  LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  ~LineReader();

  // False, with error() set, when the file cannot be opened.
  bool Open(const std::string& path);

  // Calls fn(std::string_view line) for every line, without its "\n" (or "\r\n"). False when
  // reading failed midway (error() says why); the lines before were delivered.
  template <typename Fn>
  bool ForEachLine(Fn&& fn);

  const std::string& error() const { return error_; }
  // A gzip stream that ended early (a log rotated while being compressed): a warning.
  bool truncated() const { return truncated_; }
  bool dropped_cut_line() const { return cut_line_; }
  std::size_t long_lines() const { return long_lines_; }
  std::size_t lines() const { return lines_; }

 private:
  struct Inflater;  // zlib state, when the input is gzip-compressed

  // Reads more bytes after the `kept` bytes at the buffer start; returns how many, 0 at the
  // end, -1 on error.
  long Fill(std::size_t kept);
  long ReadRaw(char* out, std::size_t size);
  long Inflate(char* out, std::size_t size);

  int fd_ = -1;
  std::unique_ptr<Inflater> inflater_;
  std::vector<char> buffer_;
  std::vector<char> raw_;  // compressed input, or the bytes read to detect the format
  std::size_t raw_begin_ = 0, raw_end_ = 0;
  std::string error_;
  bool truncated_ = false;
  bool cut_line_ = false;  // the unfinished last line of a truncated file, dropped
  std::size_t long_lines_ = 0;
  std::size_t lines_ = 0;
};

template <typename Fn>
bool LineReader::ForEachLine(Fn&& fn) {
  std::size_t kept = 0;   // bytes of an unfinished line at the buffer start
  bool skipping = false;  // inside a line longer than kMaxLine
  for (;;) {
    long got = Fill(kept);
    if (got < 0) return false;
    std::size_t end = kept + static_cast<std::size_t>(got);
    if (got == 0) {  // end of input: a last line without "\n"
      // A compressed file cut short ends in the middle of a line: that part is no log line.
      if (truncated_ && kept > 0) {
        cut_line_ = true;
        return true;
      }
      if (kept > 0 && !skipping) {
        std::string_view line(buffer_.data(), kept);
        if (line.back() == '\r') line.remove_suffix(1);
        ++lines_;
        fn(line);
      }
      return true;
    }
    const char* data = buffer_.data();
    std::size_t start = 0;
    std::size_t scan = kept;  // the kept bytes hold no "\n"
    while (const void* hit = std::memchr(data + scan, '\n', end - scan)) {
      std::size_t nl = static_cast<std::size_t>(static_cast<const char*>(hit) - data);
      if (!skipping && nl - start <= kMaxLine) {
        std::string_view line(data + start, nl - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        ++lines_;
        fn(line);
      } else if (!skipping) {
        ++long_lines_;
      }
      skipping = false;
      start = scan = nl + 1;
    }
    kept = end - start;
    if (kept >= kMaxLine) {  // drop the head of an over-long line, skip to its end
      if (!skipping) ++long_lines_;
      skipping = true;
      kept = 0;
    } else if (start > 0 && kept > 0) {
      std::memmove(buffer_.data(), data + start, kept);
    }
  }
}

}  // namespace mtaroute
