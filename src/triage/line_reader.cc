// Opening logs safely and reading them with read(2), through zlib's inflate when the data
// starts with the gzip magic. Our own inflate loop (not gzread) so that a stream cut short
// is always noticed: gzread silently drops a truncated tail.
#include "triage/line_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>

namespace mtaroute {

struct LineReader::Inflater {
  z_stream stream{};
  bool in_member = false;  // inside a gzip member: its end not seen yet
  bool done = false;       // after the last member (trailing bytes ignored)
  ~Inflater() { inflateEnd(&stream); }
};

namespace {
constexpr std::size_t kRawChunk = 1 << 18;
}  // namespace

LineReader::LineReader() = default;

LineReader::~LineReader() {
  if (fd_ >= 0 && fd_ != STDIN_FILENO) close(fd_);
}

bool LineReader::Open(const std::string& path) {
  int fd = STDIN_FILENO;
  if (path != "-") {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; cleared below.
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
      error_ = std::strerror(errno);
      return false;
    }
  }
  struct stat st {};
  const char* problem = nullptr;
  if (fstat(fd, &st) != 0) {
    problem = std::strerror(errno);
  } else if (S_ISDIR(st.st_mode)) {
    problem = "is a directory";
  } else if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode) &&
             !S_ISSOCK(st.st_mode)) {
    problem = "not a regular file or a pipe";
  }
  if (problem != nullptr) {
    error_ = problem;
    if (fd != STDIN_FILENO) close(fd);
    return false;
  }
  if (fd != STDIN_FILENO) {
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  }
  fd_ = fd;
  buffer_.resize(kMaxLine + kChunk);
  raw_.resize(kRawChunk);
  // Detect gzip from the first bytes (a pipe may deliver them one at a time).
  while (raw_end_ < 2) {
    long got = ReadRaw(raw_.data() + raw_end_, raw_.size() - raw_end_);
    if (got < 0) return false;
    if (got == 0) break;
    raw_end_ += static_cast<std::size_t>(got);
  }
  if (raw_end_ >= 2 && static_cast<unsigned char>(raw_[0]) == 0x1f &&
      static_cast<unsigned char>(raw_[1]) == 0x8b) {
    inflater_ = std::make_unique<Inflater>();
    if (inflateInit2(&inflater_->stream, 15 + 16) != Z_OK) {  // gzip wrapper only
      error_ = "cannot initialise zlib";
      return false;
    }
    inflater_->in_member = true;
  }
  return true;
}

long LineReader::ReadRaw(char* out, std::size_t size) {
  for (;;) {
    ssize_t got = read(fd_, out, size);
    if (got >= 0) return static_cast<long>(got);
    if (errno == EINTR) continue;
    error_ = std::strerror(errno);
    return -1;
  }
}

long LineReader::Inflate(char* out, std::size_t size) {
  Inflater& z = *inflater_;
  z.stream.next_out = reinterpret_cast<Bytef*>(out);
  z.stream.avail_out = static_cast<uInt>(size);
  while (z.stream.avail_out == size && !z.done) {
    if (raw_begin_ == raw_end_) {
      long got = ReadRaw(raw_.data(), raw_.size());
      if (got < 0) return -1;
      raw_begin_ = 0;
      raw_end_ = static_cast<std::size_t>(got);
      if (got == 0) {
        truncated_ = z.in_member;  // input ended inside a member
        z.done = true;
        break;
      }
    }
    if (!z.in_member) {  // another member follows, or trailing bytes to ignore
      if (static_cast<unsigned char>(raw_[raw_begin_]) != 0x1f) {
        z.done = true;
        break;
      }
      inflateReset(&z.stream);
      z.in_member = true;
    }
    z.stream.next_in = reinterpret_cast<Bytef*>(raw_.data() + raw_begin_);
    z.stream.avail_in = static_cast<uInt>(raw_end_ - raw_begin_);
    int status = inflate(&z.stream, Z_NO_FLUSH);
    raw_begin_ = raw_end_ - z.stream.avail_in;
    if (status == Z_STREAM_END) {
      z.in_member = false;
    } else if (status != Z_OK && status != Z_BUF_ERROR) {
      error_ = z.stream.msg != nullptr ? z.stream.msg : "corrupt compressed data";
      return -1;
    }
  }
  return static_cast<long>(size - z.stream.avail_out);
}

long LineReader::Fill(std::size_t kept) {
  char* out = buffer_.data() + kept;
  if (inflater_) return Inflate(out, kChunk);
  if (raw_begin_ < raw_end_) {  // the bytes read to detect the format
    std::size_t n = raw_end_ - raw_begin_;
    std::memcpy(out, raw_.data() + raw_begin_, n);
    raw_begin_ = raw_end_;
    return static_cast<long>(n);
  }
  return ReadRaw(out, kChunk);
}

}  // namespace mtaroute
