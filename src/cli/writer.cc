// Implementation of the all-or-nothing directory writer.
#include "cli/writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace mtaroute {
namespace {

struct Pending {
  const OutputFile* file;
  std::string path;
  std::string temp;
};

std::string Errno(const std::string& path) { return fmt::format("{}: {}", path, std::strerror(errno)); }

bool WriteAll(int fd, const std::string& content) {
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Writes the temporary file for one output; keeps an existing file's owner and group.
std::string WriteTemp(Pending& pending, const struct stat* existing) {
  std::string pattern = pending.path + ".mtaroute-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = mkstemp(name.data());
  if (fd < 0) return Errno(pending.path);
  pending.temp = name.data();
  mode_t mode = pending.file->secret ? 0600 : 0644;
  bool ok = fchmod(fd, mode) == 0 &&
            (!existing || fchown(fd, existing->st_uid, existing->st_gid) == 0 || errno == EPERM) &&
            WriteAll(fd, pending.file->content) && fsync(fd) == 0;
  std::string error = ok ? "" : Errno(pending.path);
  if (close(fd) != 0 && error.empty()) error = Errno(pending.path);
  return error;
}

}  // namespace

std::optional<std::string> ReadExisting(const std::string& dir, const std::string& name) {
  std::string path = dir + "/" + name;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

WriteResult WriteFiles(const std::string& dir, const std::vector<OutputFile>& files) {
  WriteResult result;
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    result.error = Errno(dir);
    return result;
  }
  std::vector<Pending> pending;
  for (const OutputFile& file : files) {
    std::string path = dir + "/" + file.name;
    struct stat st {};
    bool exists = lstat(path.c_str(), &st) == 0;
    if (exists && !S_ISREG(st.st_mode)) {
      result.error = fmt::format("{}: exists and is not a regular file", path);
      break;
    }
    mode_t mode = file.secret ? 0600 : 0644;
    if (exists && (st.st_mode & 07777) == mode && ReadExisting(dir, file.name) == file.content) {
      continue;  // unchanged: keep the file and its mtime
    }
    Pending& p = pending.emplace_back(Pending{&file, path, ""});
    result.error = WriteTemp(p, exists ? &st : nullptr);
    if (!result.error.empty()) break;
  }
  if (!result.error.empty()) {
    for (const Pending& p : pending) {
      if (!p.temp.empty()) unlink(p.temp.c_str());
    }
    return result;
  }
  for (const Pending& p : pending) {
    if (rename(p.temp.c_str(), p.path.c_str()) != 0) {
      result.error = Errno(p.path);
      for (const Pending& q : pending) unlink(q.temp.c_str());
      return result;
    }
    result.changed.push_back(p.file->name);
  }
  int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  return result;
}

}  // namespace mtaroute
