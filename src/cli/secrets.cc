// Implementation of relay secret reading.
#include "cli/secrets.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "util/text.h"

namespace mtaroute {
namespace {

constexpr std::size_t kMaxSecretBytes = 4096;

std::optional<std::string> ReadSecretFile(const Relay& relay, Diagnostics& diags) {
  const RelayAuth& auth = *relay.auth;
  std::string pointer = auth.pointer + "/password_file";
  struct stat st {};
  std::string problem;
  if (stat(auth.password_file.c_str(), &st) != 0) {
    problem = std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    problem = "not a regular file";
  }
  if (!problem.empty()) {
    diags.Error("secret-unreadable", pointer,
                fmt::format("cannot read the password of relay {} from {}: {}", Quote(relay.name),
                            Quote(auth.password_file), problem),
                "create it with the password on one line, mode 0600");
    return std::nullopt;
  }
  if (st.st_mode & (S_IRGRP | S_IROTH)) {
    diags.Warning("secret-file-mode", pointer,
                  fmt::format("password file {} of relay {} is readable by others (mode {:04o})",
                              Quote(auth.password_file), Quote(relay.name), st.st_mode & 07777),
                  fmt::format("chmod 600 {}", auth.password_file));
  }
  std::ifstream in(auth.password_file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) {
    diags.Error("secret-unreadable", pointer,
                fmt::format("cannot read the password of relay {} from {}", Quote(relay.name),
                            Quote(auth.password_file)));
    return std::nullopt;
  }
  return text.str();
}

// One trailing line break is dropped (editors add it); anything else that is not printable
// would end or split the sasl_passwd line.
bool CheckSecret(std::string& secret, const Relay& relay, const std::string& pointer,
                 Diagnostics& diags) {
  if (secret.ends_with("\n")) secret.pop_back();
  if (secret.ends_with("\r")) secret.pop_back();
  std::string problem;
  if (secret.empty()) problem = "is empty";
  if (secret.size() > kMaxSecretBytes) problem = "is longer than 4096 bytes";
  for (char c : secret) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      problem = "contains a line break or control character";
    }
  }
  // postmap drops white space at the end of a table value: Postfix would send a shorter one.
  if (problem.empty() && secret.ends_with(" ")) {
    problem = "ends with a space, which postmap would cut off in sasl_passwd";
  }
  if (problem.empty()) return true;
  diags.Error("bad-secret", pointer,
              fmt::format("the password of relay {} {}", Quote(relay.name), problem),
              "the password must be one line of printable characters, not ending in a space");
  return false;
}

}  // namespace

std::map<std::string, std::string> ReadRelaySecrets(const Policy& policy, Diagnostics& diags) {
  std::map<std::string, std::string> secrets;
  for (const Relay* relay : policy.UsedRelays()) {
    if (!relay->auth) continue;
    const RelayAuth& auth = *relay->auth;
    std::optional<std::string> secret;
    std::string pointer;
    if (!auth.password_file.empty()) {
      pointer = auth.pointer + "/password_file";
      secret = ReadSecretFile(*relay, diags);
    } else if (!auth.password_env.empty()) {
      pointer = auth.pointer + "/password_env";
      if (const char* value = std::getenv(auth.password_env.c_str())) {
        secret = value;
      } else {
        diags.Error("secret-unreadable", pointer,
                    fmt::format("environment variable {} (password of relay {}) is not set",
                                auth.password_env, Quote(relay->name)),
                    fmt::format("export {} before running gen postfix", auth.password_env));
      }
    }
    if (secret && CheckSecret(*secret, *relay, pointer, diags)) {
      secrets[relay->name] = std::move(*secret);
    }
  }
  return secrets;
}

}  // namespace mtaroute
