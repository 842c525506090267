// Tests for cli/writer: modes, owners and mtimes, refusals before anything is written, and,
// by failing every file-system step of a run in turn (the FaultInjector seam), that a failure
// anywhere leaves the directory exactly as it was (names, bytes, modes), with no temporary
// file or backup behind and an error naming the path.
#include "cli/writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace mtaroute {
namespace {

class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/mtaroute-writer-XXXXXX";
    path_ = mkdtemp(name);
  }
  ~TempDir() { std::system(("rm -rf " + path_).c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Entry {
  std::string content;
  unsigned mode = 0;
  bool operator==(const Entry&) const = default;
};

// Every entry of dir: name -> content and mode.
std::map<std::string, Entry> Snapshot(const std::string& dir) {
  std::map<std::string, Entry> out;
  DIR* listing = opendir(dir.c_str());
  REQUIRE(listing != nullptr);
  while (const dirent* entry = readdir(listing)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    lstat((dir + "/" + name).c_str(), &st);
    std::ifstream in(dir + "/" + name, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    out[name] = {text.str(), static_cast<unsigned>(st.st_mode & 07777)};
  }
  closedir(listing);
  return out;
}

void Write(const std::string& path, const std::string& content, mode_t mode) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  chmod(path.c_str(), mode);
}

std::vector<OutputFile> Files(const std::string& tag) {
  return {{"transport", "# transport " + tag + "\ngmail.com smtp:[r]:587\n", false, true, nullptr},
          {"main.cf", "# main.cf " + tag + "\ntransport_maps = hash:/etc/postfix/transport\n"},
          {"sasl_passwd", "[r]:587 u:" + tag + "\n", true, true, nullptr},
          {"mynetworks", "127.0.0.0/8\n" + tag + "\n"}};
}

TEST_CASE("WriteFiles writes every file with its mode", "[cli][writer]") {
  TempDir tmp;
  std::string dir = tmp.path() + "/out";
  WriteResult result = WriteFiles(dir, Files("v1"));
  REQUIRE(result.error.empty());
  CHECK(result.changed == std::vector<std::string>{"transport", "main.cf", "sasl_passwd",
                                                   "mynetworks"});
  std::map<std::string, Entry> files = Snapshot(dir);
  REQUIRE(files.size() == 4);
  CHECK(files["sasl_passwd"] == Entry{"[r]:587 u:v1\n", 0600});
  CHECK(files["transport"].mode == 0644);
  CHECK(files["main.cf"].mode == 0644);
}

TEST_CASE("WriteFiles leaves unchanged files alone and fixes modes", "[cli][writer]") {
  TempDir tmp;
  const std::string& dir = tmp.path();
  REQUIRE(WriteFiles(dir, Files("v1")).error.empty());
  // Back-date every file, so an unwanted rewrite would show in the mtime.
  for (const char* name : {"transport", "main.cf", "sasl_passwd", "mynetworks"}) {
    struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
    utimensat(AT_FDCWD, (dir + "/" + name).c_str(), times, 0);
  }
  chmod((dir + "/mynetworks").c_str(), 0640);  // same content, wrong mode: rewritten
  std::vector<OutputFile> files = Files("v1");
  files[0].content += "yahoo.com smtp:[r]:587\n";
  WriteResult result = WriteFiles(dir, files);
  REQUIRE(result.error.empty());
  CHECK(result.changed == std::vector<std::string>{"transport", "mynetworks"});
  for (const char* name : {"main.cf", "sasl_passwd"}) {
    struct stat st {};
    stat((dir + "/" + name).c_str(), &st);
    INFO(name);
    CHECK(st.st_mtim.tv_sec == 1000000000);
  }
  CHECK(Snapshot(dir)["mynetworks"].mode == 0644);
  CHECK(WriteFiles(dir, files).changed.empty());
}

TEST_CASE("WriteFiles keeps the owner and group of an existing file", "[cli][writer]") {
  if (geteuid() != 0) {  // only root can give a file away; CI runs as root
    WARN("not root: owner and group not checked");
    return;
  }
  TempDir tmp;
  const std::string& dir = tmp.path();
  REQUIRE(WriteFiles(dir, Files("v1")).error.empty());
  REQUIRE(chown((dir + "/transport").c_str(), 65534, 65534) == 0);
  REQUIRE(WriteFiles(dir, Files("v2")).error.empty());
  struct stat st {};
  stat((dir + "/transport").c_str(), &st);
  CHECK(st.st_uid == 65534);
  CHECK(st.st_gid == 65534);
  stat((dir + "/main.cf").c_str(), &st);
  CHECK(st.st_uid == 0);
}

TEST_CASE("WriteFiles refuses before writing anything", "[cli][writer]") {
  TempDir tmp;
  const std::string& dir = tmp.path();
  REQUIRE(WriteFiles(dir, Files("v1")).error.empty());

  SECTION("a target that is a directory") {
    unlink((dir + "/mynetworks").c_str());
    mkdir((dir + "/mynetworks").c_str(), 0755);
    auto before = Snapshot(dir);
    WriteResult result = WriteFiles(dir, Files("v2"));
    CHECK(result.error == dir + "/mynetworks: is a directory");
    CHECK(Snapshot(dir) == before);
  }
  SECTION("a target that is a symbolic link") {
    unlink((dir + "/main.cf").c_str());
    REQUIRE(symlink("/etc/hostname", (dir + "/main.cf").c_str()) == 0);
    auto before = Snapshot(dir);
    WriteResult result = WriteFiles(dir, Files("v2"));
    CHECK(result.error.starts_with(dir + "/main.cf: is a symbolic link"));
    CHECK(Snapshot(dir) == before);
  }
  SECTION("a directory that is a file") {
    WriteResult result = WriteFiles(dir + "/transport", Files("v2"));
    CHECK(result.error == dir + "/transport: exists and is not a directory");
  }
  SECTION("a directory whose parent is missing") {
    WriteResult result = WriteFiles(dir + "/no/such", Files("v2"));
    CHECK(result.error ==
          dir + "/no/such: cannot create the directory: No such file or directory");
  }
  SECTION("another run holds the lock") {
    int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    REQUIRE(flock(fd, LOCK_EX) == 0);
    auto before = Snapshot(dir);
    WriteResult result = WriteFiles(dir, Files("v2"));
    CHECK(result.error == dir + ": another mtaroute run is writing into it");
    CHECK(Snapshot(dir) == before);
    close(fd);
  }
}

TEST_CASE("WriteFiles removes what a killed run left behind", "[cli][writer]") {
  TempDir tmp;
  const std::string& dir = tmp.path();
  Write(dir + "/transport.mtaroute-aB3xY9", "half a fil", 0600);
  Write(dir + "/transport.mtaroute-notours", "kept", 0644);  // not our pattern
  Write(dir + "/other.mtaroute-aB3xY9", "kept", 0644);       // not one of our files
  REQUIRE(WriteFiles(dir, Files("v1")).error.empty());
  auto after = Snapshot(dir);
  CHECK(after.count("transport.mtaroute-aB3xY9") == 0);
  CHECK(after.count("transport.mtaroute-notours") == 1);
  CHECK(after.count("other.mtaroute-aB3xY9") == 1);
}

// Every step of a run that replaces three files and creates one, failed in turn: the
// directory must stay exactly as it was.
TEST_CASE("A failure at any step of WriteFiles changes nothing", "[cli][writer]") {
  TempDir tmp;
  const std::string& dir = tmp.path();
  std::vector<OutputFile> old_files = Files("v1");
  old_files.pop_back();  // mynetworks will be new
  REQUIRE(WriteFiles(dir, old_files).error.empty());
  const auto before = Snapshot(dir);
  const std::vector<OutputFile> new_files = Files("v2");

  std::vector<std::pair<std::string, std::string>> steps;  // a dry run records them
  {
    TempDir probe;
    REQUIRE(WriteFiles(probe.path(), old_files).error.empty());
    WriteFiles(probe.path(), new_files, [&](std::string_view step, const std::string& path) {
      steps.emplace_back(step, path.substr(probe.path().size()));
      return 0;
    });
  }
  REQUIRE(steps.size() > 20);
  int renames = 0;
  for (std::size_t fail = 0; fail < steps.size(); ++fail) {
    const auto& [step, path] = steps[fail];
    INFO("failing step " << fail << ": " << step << " " << path);
    std::size_t call = 0;
    WriteResult result = WriteFiles(dir, new_files, [&](std::string_view, const std::string&) {
      return call++ == fail ? EIO : 0;
    });
    if (step == "fsync-dir") {  // after the renames: the files are in place, with a warning
      CHECK(result.error.empty());
      CHECK(result.warning.find("Input/output error") != std::string::npos);
      REQUIRE(WriteFiles(dir, old_files).error.empty());
      unlink((dir + "/mynetworks").c_str());
      continue;
    }
    CHECK_FALSE(result.partial);
    CHECK(result.error.find(dir + path) == 0);
    CHECK(result.error.find("Input/output error") != std::string::npos);
    if (step == "rename") {
      ++renames;
      if (path != "/transport") {
        CHECK(result.error.ends_with("; the files already replaced were restored"));
      }
    }
    CHECK(Snapshot(dir) == before);
  }
  CHECK(renames == 4);
}

TEST_CASE("A failed rollback keeps the previous content out of the clean-up's reach",
          "[cli][writer]") {
  TempDir tmp;
  const std::string& dir = tmp.path();
  REQUIRE(WriteFiles(dir, Files("v1")).error.empty());
  // The second rename fails, and so does putting the first file back.
  int renames = 0;
  WriteResult failed = WriteFiles(dir, Files("v2"), [&](std::string_view step, const std::string&) {
    if (step == "rename") return ++renames == 2 ? EIO : 0;
    return step == "restore" ? EIO : 0;
  });
  CHECK(failed.partial);
  std::string kept;
  for (const auto& [name, entry] : Snapshot(dir)) {
    if (name.find(".mtaroute-kept-") != std::string::npos) kept = name;
  }
  REQUIRE_FALSE(kept.empty());
  INFO(failed.error);
  CHECK(failed.error.find("(previous content kept in " + dir + "/" + kept + ")") !=
        std::string::npos);
  const std::string original = Snapshot(dir)[kept].content;
  CHECK(original.find("v1") != std::string::npos);

  // The next run succeeds, leaves the kept copy alone and names it.
  WriteResult next = WriteFiles(dir, Files("v2"));
  CHECK(next.error.empty());
  CHECK(Snapshot(dir)[kept].content == original);
  CHECK(next.notice.find(dir + "/" + kept + ": the content") == 0);
}

TEST_CASE("A failed run removes the directory it created", "[cli][writer]") {
  TempDir tmp;
  std::string dir = tmp.path() + "/new";
  for (const char* failing : {"lock", "write", "rename"}) {
    INFO(failing);
    WriteResult result =
        WriteFiles(dir, Files("v1"), [&](std::string_view step, const std::string&) {
          return step == failing ? ENOSPC : 0;
        });
    CHECK_FALSE(result.error.empty());
    struct stat st {};
    CHECK(stat(dir.c_str(), &st) != 0);
  }
}

TEST_CASE("ReadExisting tells missing, unreadable and other kinds apart", "[cli][writer]") {
  TempDir tmp;
  const std::string& dir = tmp.path();
  Write(dir + "/f", "text", 0640);
  mkdir((dir + "/d").c_str(), 0755);
  ExistingFile f = ReadExisting(dir, "f");
  CHECK(f.content == "text");
  CHECK(f.mode == 0640);
  ExistingFile missing = ReadExisting(dir, "nope");
  CHECK_FALSE(missing.content);
  CHECK(missing.problem == "missing");
  CHECK_FALSE(missing.unreadable);
  ExistingFile d = ReadExisting(dir, "d");
  CHECK_FALSE(d.content);
  CHECK(d.problem == "is a directory");
}

}  // namespace
}  // namespace mtaroute
