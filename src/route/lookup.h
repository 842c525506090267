// Where Postfix and qmail send mail for a recipient, computed from the table TEXT the emitters
// generate (transport + main.cf's relayhost; control/smtproutes), with each MTA's own lookup
// order, case folding and duplicate rule, so the answer cannot disagree with what is deployed.
// Pure: no files, no policy. The attribution of a table line to the policy is in route.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mtaroute {

// One entry of a generated table: where it stands and what it says.
struct TableLine {
  std::string file;  // "transport", "main.cf", "smtproutes"
  int line = 0;      // 1-based
  std::string text;  // the line as the MTA reads it
  std::string key;   // folded to lower case
  std::string value;
};

// Where an MTA connects for a recipient.
struct Decision {
  bool direct = true;        // normal MX delivery of the recipient domain
  std::string transport;     // Postfix: "smtp" (or "" = the default transport); qmail: ""
  std::string nexthop;       // Postfix "[relay.example.net]:587"; qmail "relay.example.net:587"
  bool by_default = false;   // no route entry decided: relayhost / the empty key, or none
  std::optional<TableLine> entry;     // the table line that decided, if any
  std::optional<TableLine> fallback;  // Postfix: the relayhost line an entry ":" defers to
  std::vector<std::string> tried;     // the keys looked up, in order, up to the one that hit
};

// transport(5) as postmap reads it: `key value` lines, whole-line `#` comments, keys folded
// to lower case; a line starting with white space continues the previous entry; of two equal
// keys the FIRST wins. main.cf: the last `relayhost = ...` (empty = none).
class PostfixTables {
 public:
  PostfixTables(std::string_view transport_text, std::string_view main_cf_text);

  // For "user@domain" or "domain" (already in A-labels; one trailing dot is stripped, as
  // Postfix's address rewriting does): the full address (never a key mtaroute writes), the
  // domain, each parent ".suffix", then "*"; then relayhost, else direct. An entry ":" (empty
  // transport and nexthop) changes nothing: relayhost or direct still applies; "smtp:" (empty
  // nexthop) means the recipient domain, i.e. normal MX delivery, also past a relayhost.
  Decision Lookup(std::string_view recipient) const;

  const std::optional<TableLine>& relayhost() const { return relayhost_; }

 private:
  std::unordered_map<std::string, TableLine> entries_;
  std::optional<TableLine> relayhost_;
};

// control/smtproutes as qmail-remote reads it (control_readfile + constmap): trailing spaces
// and tabs stripped, `#` lines and empty lines skipped, `key:relay[:port]` split at the first
// ':', lines without ':' ignored, keys ASCII case-insensitive, the LAST of two equal keys wins.
class QmailRoutes {
 public:
  explicit QmailRoutes(std::string_view smtproutes_text);

  // For "user@domain" or "domain": the part after the last '@' as qmail-remote gets it (a
  // trailing dot kept: it then matches only the empty key), the exact key, each ".suffix", then
  // the empty key (the default). An empty relay means MX delivery; "host" alone is port 25;
  // the port is scan_ulong of what follows the ':' (0 when it is not a number).
  Decision Lookup(std::string_view recipient) const;

 private:
  std::unordered_map<std::string, TableLine> entries_;
};

// ASCII lower case (what postmap and qmail's case_diffb fold); other bytes as they are.
std::string FoldAscii(std::string_view text);

}  // namespace mtaroute
