// gen spf: one TXT record per "spf" entry, in one file of the format asked for: spf.zone
// (zone-file lines with a header), spf.txt (the value to paste into a DNS provider's form) or
// spf.json (for DNS APIs). The terms come from policy/spf_record.h, as lint checked them.
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "emit/header.h"
#include "emit/output.h"
#include "policy/spf_record.h"

namespace mtaroute {
namespace {

// A character-string in zone-file syntax: quoted, '"' and '\' escaped, and every byte outside
// printable ASCII as \DDD, so the file is plain ASCII whatever the record holds.
std::string ZoneString(std::string_view bytes) {
  std::string out = "\"";
  for (char c : bytes) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte >= 0x7f) {
      out += fmt::format("\\{:03d}", byte);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// The owner name, absolute. Domains are A-labels of letters, digits, '-', '_' and dots; any
// other byte (none passes lint) is escaped as \DDD rather than left to change the line.
std::string ZoneName(std::string_view name) {
  std::string out;
  for (char c : name) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.';
    out += plain ? std::string(1, c) : fmt::format("\\{:03d}", static_cast<unsigned char>(c));
  }
  return out + ".";
}

std::string IncludeNote(const SpfRecord& record) {
  bool includes = std::any_of(record.terms.begin(), record.terms.end(), [](const SpfTerm& term) {
    return ParseSpfTerm(term.text).name == "include";
  });
  return includes ? ", plus those of the included records" : "";
}

std::string RenderZone(const std::vector<SpfRecord>& records, const EmitContext& context) {
  std::string out =
      RenderHeader(context.header_template, {context.policy_file, "spf.zone", "spf"}, ";");
  if (records.empty()) return out + "; the policy has no \"spf\" entries: no records\n";
  for (const SpfRecord& record : records) {
    std::string value = record.Value();
    std::vector<std::string> strings = SplitCharacterStrings(value);
    std::vector<std::string> quoted;
    for (const std::string& s : strings) quoted.push_back(ZoneString(s));
    out +=
        fmt::format("; {}: {} bytes in {} string{}, {} DNS lookup{} of {}{}\n", record.name,
                    value.size(), strings.size(), strings.size() == 1 ? "" : "s", record.Lookups(),
                    record.Lookups() == 1 ? "" : "s", kMaxSpfLookups, IncludeNote(record));
    out +=
        fmt::format("{} {} IN TXT {}\n", ZoneName(record.name), record.ttl, fmt::join(quoted, " "));
  }
  return out;
}

// One record: its value alone, ready to paste. Several: "NAME<TAB>VALUE" lines.
std::string RenderTxt(const std::vector<SpfRecord>& records) {
  std::string out;
  for (const SpfRecord& record : records) {
    if (records.size() > 1) out += record.name + "\t";
    out += record.Value() + "\n";
  }
  return out;
}

std::string RenderJson(const std::vector<SpfRecord>& records) {
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (const SpfRecord& record : records) {
    nlohmann::ordered_json object;
    object["name"] = record.name;
    object["ttl"] = record.ttl;
    object["value"] = record.Value();
    object["strings"] = SplitCharacterStrings(record.Value());
    object["lookups"] = record.Lookups();
    array.push_back(std::move(object));
  }
  // Invalid UTF-8 cannot pass lint; should it reach here, it is replaced, never thrown.
  return array.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::vector<OutputFile> Emit(const Policy& policy, const EmitContext& context) {
  std::vector<SpfRecord> records;
  for (const SpfEntry& entry : policy.spf) records.push_back(BuildSpfRecord(policy, entry));
  OutputFile file;
  if (context.spf_format == "txt") {
    file = {"spf.txt", RenderTxt(records)};
  } else if (context.spf_format == "json") {
    file = {"spf.json", RenderJson(records)};
  } else {
    file = {"spf.zone", RenderZone(records, context)};
  }
  return {file};
}

std::string InstallSteps(const std::vector<std::string>& changed, const std::string& out_dir,
                         const EmitContext&) {
  std::string dir = out_dir.ends_with('/') && out_dir.size() > 1
                        ? out_dir.substr(0, out_dir.size() - 1)
                        : out_dir;
  std::string out;
  for (const std::string& name : changed) {
    std::string path = dir + "/" + name;
    if (name == "spf.zone") {
      out += fmt::format(
          "# Publish: copy the TXT lines of {} into each domain's zone file (replacing its\n"
          "# old \"v=spf1\" record: one per name), raise the SOA serial, check the zone with\n"
          "# named-checkzone ZONE FILE, then reload it (rndc reload ZONE, nsd-control reload "
          "ZONE).\n",
          path);
    } else if (name == "spf.txt") {
      out += fmt::format(
          "# Publish: in the DNS provider's form, set the TXT record of each domain to the value\n"
          "# in {} (one record per name; replace the old \"v=spf1\" record, do not add a "
          "second).\n",
          path);
    } else if (name == "spf.json") {
      out += fmt::format(
          "# Publish: {} has each record's name, ttl, value and its strings of at most 255\n"
          "# bytes, for a DNS provider's API; replace the old \"v=spf1\" record of each name.\n",
          path);
    }
  }
  if (!out.empty()) out += "# Then check what is served: dig +short TXT DOMAIN\n";
  return out;
}

}  // namespace

extern const Target kSpfTarget;
const Target kSpfTarget = {"spf", Emit, InstallSteps};

}  // namespace mtaroute
