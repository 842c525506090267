// Implementation of the all-or-nothing directory writer. Everything happens relative to one
// descriptor of the directory, which is also the flock that keeps two runs apart.
//
// Phases: plan (lstat every target, skip unchanged ones, refuse non-regular ones) -> temporary
// files (create, chmod, chown, write, fsync, close) -> backups (hard link of each existing
// target) -> renames -> fsync of the directory -> backups removed. A failure before the renames
// removes the temporary files and backups; a failed rename puts the backups back first.
#include "cli/writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "util/text.h"

namespace mtaroute {
namespace {

constexpr std::string_view kTempInfix = ".mtaroute-";
constexpr std::string_view kBackupInfix = ".mtaroute-old-";
// A backup that a failed rollback could not put back is the only copy of the previous
// content: it is renamed to this infix, which no clean-up ever removes.
constexpr std::string_view kKeptInfix = ".mtaroute-kept-";
constexpr std::size_t kSuffixLength = 6;
constexpr std::string_view kSuffixChars =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

struct Pending {
  const OutputFile* file = nullptr;
  std::string path;    // DIR/NAME, for messages
  bool exists = false;
  struct stat old {};  // of the existing file
  std::string temp;    // name of the temporary file in DIR, once created
  std::string backup;  // name of the hard link to the existing file, once made
  bool renamed = false;
};

class Writer {
 public:
  Writer(std::string dir, const FaultInjector& fault)
      : dir_(WithoutTrailingSlash(std::move(dir))), fault_(fault) {}
  ~Writer() {
    if (dir_fd_ >= 0) close(dir_fd_);  // also releases the lock
  }

  WriteResult Run(const std::vector<OutputFile>& files);

 private:
  // 0 to go on, else the errno of the step (injected or real, as `result` says).
  int Fault(std::string_view step, const std::string& path) const {
    return fault_ ? fault_(step, path) : 0;
  }
  std::string Path(std::string_view name) const { return fmt::format("{}/{}", dir_, name); }
  bool Fail(const std::string& path, std::string_view what, int error) {
    result_.error = what.empty() ? fmt::format("{}: {}", path, std::strerror(error))
                                 : fmt::format("{}: {}: {}", path, what, std::strerror(error));
    return false;
  }

  bool OpenDir();
  void SyncParent() const;
  void RemoveLeftovers(const std::vector<OutputFile>& files);
  bool Plan(const std::vector<OutputFile>& files);
  bool WriteTemp(Pending& p);
  bool Backup(Pending& p);
  bool Commit();
  void Rollback();
  void Cleanup();
  template <typename Try>
  int Unique(const std::string& name, std::string_view infix, Try attempt, std::string& chosen);

  std::string dir_;
  const FaultInjector& fault_;
  int dir_fd_ = -1;
  bool created_ = false;  // the run made the directory: a failed run removes it again
  std::vector<Pending> pending_;
  WriteResult result_;
  std::mt19937_64 random_{std::random_device{}()};
};

bool WriteAll(int fd, std::string_view content) {
  while (!content.empty()) {
    ssize_t n = write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::optional<std::string> ReadAll(int fd) {
  std::string content;
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) return content;
    content.append(buffer, static_cast<std::size_t>(n));
  }
}

std::optional<std::string> ReadAt(int dir_fd, const std::string& name) {
  int fd = openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> content = ReadAll(fd);
  close(fd);
  return content;
}

mode_t ModeOf(const OutputFile& file) { return file.secret ? 0600 : 0644; }

std::string_view Kind(mode_t mode) {
  if (S_ISDIR(mode)) return "is a directory";
  if (S_ISLNK(mode)) return "is a symbolic link (mtaroute replaces files, not link targets)";
  return "is not a regular file";
}

// NAME + infix + XXXXXX: the names of our temporary files (kTempInfix) and backups.
bool IsOurs(std::string_view entry, std::string_view name, std::string_view infix) {
  if (entry.size() != name.size() + infix.size() + kSuffixLength) return false;
  if (!entry.starts_with(name) || entry.substr(name.size(), infix.size()) != infix) {
    return false;
  }
  std::string_view suffix = entry.substr(name.size() + infix.size());
  return suffix.find_first_not_of(kSuffixChars) == std::string_view::npos;
}

// Ignores SIGXFSZ while alive: over RLIMIT_FSIZE, write() then fails with EFBIG (reported,
// temporary files removed) instead of the signal killing the process mid-way.
class IgnoreFileSizeSignal {
 public:
  IgnoreFileSizeSignal() { previous_ = std::signal(SIGXFSZ, SIG_IGN); }
  ~IgnoreFileSizeSignal() {
    if (previous_ != SIG_ERR) std::signal(SIGXFSZ, previous_);
  }

 private:
  void (*previous_)(int) = SIG_ERR;
};

template <typename Try>
int Writer::Unique(const std::string& name, std::string_view infix, Try attempt,
                   std::string& chosen) {
  std::uniform_int_distribution<std::size_t> pick(0, kSuffixChars.size() - 1);
  for (int tries = 0; tries < 100; ++tries) {
    std::string candidate = name + std::string(infix);
    for (std::size_t i = 0; i < kSuffixLength; ++i) candidate += kSuffixChars[pick(random_)];
    int error = attempt(candidate);
    if (error != EEXIST) {
      if (error == 0) chosen = candidate;
      return error;
    }
  }
  return EEXIST;
}

// A directory just created survives a crash only once its parent is synced.
void Writer::SyncParent() const {
  std::size_t slash = dir_.rfind('/');
  std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : dir_.substr(0, slash);
  int fd = open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  fsync(fd);
  close(fd);
}

bool Writer::OpenDir() {
  struct stat st {};
  if (stat(dir_.c_str(), &st) != 0) {
    int error = errno;
    if (error != ENOENT) return Fail(dir_, "", error);
    if (int f = Fault("mkdir", dir_); f != 0 || mkdir(dir_.c_str(), 0755) != 0) {
      return Fail(dir_, "cannot create the directory", f != 0 ? f : errno);
    }
    created_ = true;
    SyncParent();
  } else if (!S_ISDIR(st.st_mode)) {
    result_.error = fmt::format("{}: exists and is not a directory", dir_);
    return false;
  }
  int f = Fault("open-dir", dir_);
  dir_fd_ = f != 0 ? -1 : open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0) return Fail(dir_, "", f != 0 ? f : errno);
  f = Fault("lock", dir_);
  if (f != 0 || flock(dir_fd_, LOCK_EX | LOCK_NB) != 0) {
    int error = f != 0 ? f : errno;
    if (error == EWOULDBLOCK) {
      result_.error = fmt::format("{}: another mtaroute run is writing into it", dir_);
      return false;
    }
    return Fail(dir_, "cannot lock", error);
  }
  return true;
}

// Temporary files and backups of a run that was killed: only ever our names, under the lock.
// Kept copies of a failed rollback stay, and every run says so until they are gone.
void Writer::RemoveLeftovers(const std::vector<OutputFile>& files) {
  int fd = openat(dir_fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  DIR* listing = fdopendir(fd);
  if (listing == nullptr) {
    close(fd);
    return;
  }
  std::vector<std::string> leftovers;
  while (const dirent* entry = readdir(listing)) {
    for (const OutputFile& file : files) {
      if (IsOurs(entry->d_name, file.name, kTempInfix) ||
          IsOurs(entry->d_name, file.name, kBackupInfix)) {
        leftovers.emplace_back(entry->d_name);
      }
      if (IsOurs(entry->d_name, file.name, kKeptInfix)) {
        if (!result_.notice.empty()) result_.notice += "\n";
        result_.notice += fmt::format("{}: the content {} had before a failed run; remove it "
                                      "once you no longer need it",
                                      Path(entry->d_name), file.name);
      }
    }
  }
  closedir(listing);
  for (const std::string& name : leftovers) unlinkat(dir_fd_, name.c_str(), 0);
}

bool Writer::Plan(const std::vector<OutputFile>& files) {
  for (const OutputFile& file : files) {
    std::string path = Path(file.name);
    if (file.name.empty() || file.name.find('/') != std::string::npos || file.name == "." ||
        file.name == "..") {
      result_.error = fmt::format("{}: not a plain file name", path);
      return false;
    }
    Pending p;
    p.file = &file;
    p.path = path;
    if (fstatat(dir_fd_, file.name.c_str(), &p.old, AT_SYMLINK_NOFOLLOW) == 0) {
      p.exists = true;
    } else if (errno != ENOENT) {
      return Fail(path, "", errno);
    }
    if (p.exists && !S_ISREG(p.old.st_mode)) {
      result_.error = fmt::format("{}: {}", path, Kind(p.old.st_mode));
      return false;
    }
    if (p.exists && (p.old.st_mode & 07777) == ModeOf(file) &&
        ReadAt(dir_fd_, file.name) == file.content) {
      continue;  // unchanged: keep the file and its mtime
    }
    pending_.push_back(std::move(p));
  }
  return true;
}

// The temporary file: mode, owner and group first (a secret is never readable by others, an
// owner that cannot be kept stops the run), then the content, fsynced.
bool Writer::WriteTemp(Pending& p) {
  int fd = -1;
  int error = Unique(p.file->name, kTempInfix, [&](const std::string& name) {
    if (int f = Fault("create", p.path); f != 0) return f;
    fd = openat(dir_fd_, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    return fd < 0 ? errno : 0;
  }, p.temp);
  if (error != 0) return Fail(p.path, "cannot create a temporary file", error);
  std::string_view failed;
  auto run = [&](std::string_view step, bool applies, auto action) {
    if (!failed.empty() || !applies) return;
    int f = Fault(step, p.path);
    if (f == 0 && action()) return;
    failed = step;
    error = f != 0 ? f : errno;
  };
  run("chmod", true, [&] { return fchmod(fd, ModeOf(*p.file)) == 0; });
  run("chown", p.exists, [&] { return fchown(fd, p.old.st_uid, p.old.st_gid) == 0; });
  run("write", true, [&] { return WriteAll(fd, p.file->content); });
  run("fsync", true, [&] { return fsync(fd) == 0; });
  if (close(fd) != 0 && failed.empty()) {
    failed = "close";
    error = errno;
  }
  if (failed.empty()) return true;
  if (failed == "chown") {
    return Fail(p.path,
                fmt::format("cannot keep its owner and group {}:{}", p.old.st_uid, p.old.st_gid),
                error);
  }
  return Fail(p.path, failed == "write" ? "" : failed, error);
}

bool Writer::Backup(Pending& p) {
  int error = Unique(p.file->name, kBackupInfix, [&](const std::string& name) {
    if (int f = Fault("link", p.path); f != 0) return f;
    return linkat(dir_fd_, p.file->name.c_str(), dir_fd_, name.c_str(), 0) == 0 ? 0 : errno;
  }, p.backup);
  if (error == 0) return true;
  return Fail(p.path, "cannot keep a backup to restore on failure (hard link)", error);
}

// Puts back what the renames replaced; the error says what could not be.
void Writer::Rollback() {
  std::vector<std::string> failed;
  for (Pending& p : pending_) {
    if (!p.renamed) continue;
    bool ok = Fault("restore", p.path) == 0 &&
              (p.exists ? renameat(dir_fd_, p.backup.c_str(), dir_fd_, p.file->name.c_str()) == 0
                        : unlinkat(dir_fd_, p.file->name.c_str(), 0) == 0);
    if (ok) {
      p.renamed = false;
      if (p.exists) p.backup.clear();
      continue;
    }
    if (p.exists) {
      // Out of the clean-up's reach; if even that rename fails, the backup's name is given.
      std::string kept;
      // A new hard link (fails with EEXIST, unlike rename over a name that exists), then the
      // backup's own name goes.
      if (Unique(p.file->name, kKeptInfix, [&](const std::string& name) {
            return linkat(dir_fd_, p.backup.c_str(), dir_fd_, name.c_str(), 0) == 0 ? 0 : errno;
          }, kept) == 0) {
        unlinkat(dir_fd_, p.backup.c_str(), 0);
        p.backup = kept;
      }
    }
    failed.push_back(p.exists ? fmt::format("{} (previous content kept in {})", p.path,
                                            Path(p.backup))
                              : p.path);
    p.backup.clear();  // never delete the only copy of the previous content
  }
  fsync(dir_fd_);
  if (failed.empty()) {
    result_.error += "; the files already replaced were restored";
  } else {
    result_.partial = true;
    result_.error += fmt::format("; could not restore {}", fmt::join(failed, ", "));
  }
}

bool Writer::Commit() {
  for (Pending& p : pending_) {
    int f = Fault("rename", p.path);
    if (f != 0 || renameat(dir_fd_, p.temp.c_str(), dir_fd_, p.file->name.c_str()) != 0) {
      Fail(p.path, "", f != 0 ? f : errno);
      Rollback();
      return false;
    }
    p.renamed = true;
    p.temp.clear();
  }
  return true;
}

void Writer::Cleanup() {
  for (const Pending& p : pending_) {
    if (!p.temp.empty()) unlinkat(dir_fd_, p.temp.c_str(), 0);
    if (!p.backup.empty()) unlinkat(dir_fd_, p.backup.c_str(), 0);
  }
}

WriteResult Writer::Run(const std::vector<OutputFile>& files) {
  IgnoreFileSizeSignal ignore_sigxfsz;
  if (!OpenDir()) {
    if (created_) rmdir(dir_.c_str());
    return result_;
  }
  RemoveLeftovers(files);
  bool ok = Plan(files);
  for (Pending& p : pending_) ok = ok && WriteTemp(p);
  for (Pending& p : pending_) ok = ok && (!p.exists || Backup(p));
  ok = ok && Commit();
  if (ok) {
    if (int f = Fault("fsync-dir", dir_); f != 0 || fsync(dir_fd_) != 0) {
      result_.warning = fmt::format("{}: the files are in place, but fsync of the directory "
                                    "failed: {}", dir_, std::strerror(f != 0 ? f : errno));
    }
    for (const Pending& p : pending_) result_.changed.push_back(p.file->name);
  }
  Cleanup();
  if (!ok && created_) rmdir(dir_.c_str());
  return result_;
}

}  // namespace

WriteResult WriteFiles(const std::string& dir, const std::vector<OutputFile>& files,
                       const FaultInjector& fault) {
  return Writer(dir, fault).Run(files);
}

ExistingFile ReadExisting(const std::string& dir, const std::string& name) {
  ExistingFile existing;
  std::string path = dir + "/" + name;
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    existing.problem = errno == ENOENT || errno == ENOTDIR ? "missing" : std::strerror(errno);
    existing.unreadable = errno != ENOENT && errno != ENOTDIR;
    return existing;
  }
  if (!S_ISREG(st.st_mode)) {
    existing.problem = Kind(st.st_mode);
    return existing;
  }
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  std::optional<std::string> content = fd < 0 ? std::nullopt : ReadAll(fd);
  if (!content) {
    existing.problem = std::strerror(errno);
    existing.unreadable = true;
  }
  if (fd >= 0) close(fd);
  existing.content = std::move(content);
  existing.mode = st.st_mode & 07777;
  return existing;
}

}  // namespace mtaroute
