// JSON parsing through nlohmann's SAX interface with a counting iterator: the handler knows the
// byte offset at every event, which gives exact positions for errors found while parsing and
// for the lazy pointer -> location lookup.
#include "policy/document.h"

#include <deque>
#include <iterator>
#include <map>
#include <set>
#include <string>

#include <fmt/format.h>

#include "util/text.h"

namespace mtaroute {
namespace {

// An input iterator over the text whose position is the shared cursor: the handler sees how
// far nlohmann's lexer has read, and DomBuilder may move it on past domains it has read
// itself. The end iterator has a fixed position.
class CountingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  explicit CountingIterator(const char** cursor) : cursor_(cursor) {}
  static CountingIterator End(const char* end) {
    CountingIterator it(nullptr);
    it.end_ = end;
    return it;
  }
  reference operator*() const { return **cursor_; }
  CountingIterator& operator++() {
    ++*cursor_;
    return *this;
  }
  void operator++(int) { ++*cursor_; }  // copies share the cursor: no old value to return
  bool operator==(const CountingIterator& other) const { return Position() == other.Position(); }

 private:
  const char* Position() const { return cursor_ ? *cursor_ : end_; }

  const char** cursor_;
  const char* end_ = nullptr;
};

bool IsNumberChar(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

// The opening quote of the string token whose closing quote ends just before `end`: the
// nearest earlier quote not escaped by an odd run of backslashes (strings hold no raw quotes).
std::size_t StringStartBefore(std::string_view text, std::size_t end) {
  std::size_t i = end >= 2 ? end - 2 : 0;
  while (i > 0) {
    if (text[i] == '"') {
      std::size_t slashes = 0;
      while (i > slashes && text[i - 1 - slashes] == '\\') ++slashes;
      if (slashes % 2 == 0) return i;
    }
    --i;
  }
  return 0;
}

// nlohmann reports how far it read when it failed: point at the start of the unexpected
// token (a string, a number, a bad literal), at the bad byte inside a string, or at the end.
std::size_t ErrorOffset(std::string_view text, std::size_t position, const std::string& what) {
  position = std::min(position, text.size());
  if (what.find("unexpected end of input") != std::string::npos) return position;
  std::size_t offset = position > 0 ? position - 1 : 0;
  if (what.find("unexpected string literal") != std::string::npos) {
    return StringStartBefore(text, position);
  }
  if (what.find("unexpected number literal") != std::string::npos) {
    offset = position;
    while (offset > 0 && IsNumberChar(text[offset - 1])) --offset;
  } else if (what.find("invalid literal") != std::string::npos) {
    while (offset > 0 && text[offset - 1] >= 'a' && text[offset - 1] <= 'z') --offset;
  }
  return offset;
}

// Offsets of the token the lexer has just read, found by looking back from the read position.
class TokenLocator {
 public:
  explicit TokenLocator(std::string_view text) : text_(text), cursor_(text.data()) {}

  const char** cursor() { return &cursor_; }
  std::size_t Read() const { return static_cast<std::size_t>(cursor_ - text_.data()); }

  // A string token ends at the closing quote just read; its opening quote is the nearest
  // earlier quote not escaped by an odd run of backslashes (strings hold no raw quotes).
  std::size_t StringStart() const { return StringStartBefore(text_, Read()); }
  // Numbers are followed by one look-ahead character (not part of the number), or the end.
  std::size_t NumberStart() const {
    std::size_t i = Read();
    while (i > 0 && !IsNumberChar(text_[i - 1])) --i;
    while (i > 0 && IsNumberChar(text_[i - 1])) --i;
    return i;
  }
  std::size_t LiteralStart(std::size_t length) const {
    return Read() >= length ? Read() - length : 0;
  }
  std::size_t BracketStart() const { return Read() > 0 ? Read() - 1 : 0; }

 private:
  std::string_view text_;
  const char* cursor_;
};

template <typename Handler>
bool RunSax(std::string_view text, TokenLocator& locator, Handler& handler) {
  CountingIterator first(locator.cursor());
  CountingIterator last = CountingIterator::End(text.data() + text.size());
  return Json::sax_parse(first, last, &handler, nlohmann::json::input_format_t::json,
                         /*strict=*/true, /*ignore_comments=*/true);
}

// Builds the DOM like nlohmann's json_sax_dom_parser, plus duplicate keys and limits.
class DomBuilder : public nlohmann::json_sax<Json> {
 public:
  DomBuilder(std::string_view text, TokenLocator& locator, const ParseLimits& limits,
             Diagnostics& diags)
      : text_(text), locator_(locator), limits_(limits), diags_(diags) {}

  // Keeps the routes' "domains" arrays out of the DOM, in `arrays`, with names in `store`
  // (whose text is the one parsed).
  void KeepDomainsApart(std::shared_ptr<NameStore> store, std::deque<DomainArray>* arrays) {
    store_ = std::move(store);
    arrays_ = arrays;
  }

  Json& root() { return root_; }
  bool failed() const { return failed_; }

  bool null() override { return Put(nullptr); }
  bool boolean(bool value) override { return Put(value); }
  bool number_integer(number_integer_t value) override { return Put(value); }
  bool number_unsigned(number_unsigned_t value) override { return Put(value); }
  bool number_float(number_float_t value, const string_t&) override { return Put(value); }
  bool string(string_t& value) override {
    if (!CheckString(value)) return false;
    if (!stack_.empty() && stack_.back()->is_binary()) {
      AddDomain(value);
      ReadPlainDomains();
      return true;
    }
    return Put(std::move(value));
  }
  bool binary(binary_t&) override { return true; }  // never produced by the JSON lexer
  bool start_object(std::size_t) override { return Open(Json::object()); }
  bool start_array(std::size_t) override {
    // A member's value follows its key at once: the flags are those of this very member.
    if (arrays_ && stack_.size() == 3 && stack_[1] == routes_ && stack_[2]->is_object() &&
        member_is_domains_) {  // a route's "domains": kept apart, a placeholder in the DOM
      Json placeholder = Json::binary({}, arrays_->size());
      arrays_->push_back(DomainArray{DomainList(store_), {}, 0});
      return Open(std::move(placeholder));
    }
    bool routes = arrays_ && stack_.size() == 1 && stack_[0]->is_object() && member_is_routes_;
    if (!Open(Json::array())) return false;
    if (routes) routes_ = stack_.back();
    return true;
  }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }

  bool key(string_t& key) override {
    if (!CheckString(key)) return false;
    Json& object = *stack_.back();
    const bool duplicate = object.contains(key);
    if (duplicate) {
      bool kept = !diags_.Full();
      Diagnostic& d = diags_.Error(
          "duplicate-key", "",
          fmt::format("duplicate key {} in this object; JSON parsers would silently keep only "
                      "one of them",
                      Quote(key)),
          "merge the two entries into one");
      d.offset = locator_.StringStart();
      if (kept) d.pointer = StackPointer() + "/" + PointerToken(key);
      member_ = &discarded_.emplace_back();  // parse the value, keep the first one
    } else {
      member_ = &object[key];
    }
    member_is_routes_ = !duplicate && stack_.size() == 1 && key == "routes";
    member_is_domains_ = !duplicate && stack_.size() == 3 && key == "domains";
    return true;
  }

  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    std::string what = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..."
    if (std::size_t colon = what.find(": ", what.find("column")); colon != std::string::npos) {
      what = what.substr(colon + 2);
    }
    // nlohmann echoes what it read raw (any bytes, any length): show it quoted and short.
    // The token itself may hold a quote: it ends at "'; expected" or at the final quote.
    constexpr std::string_view kLastRead = "; last read: '";
    if (std::size_t last = what.find(kLastRead); last != std::string::npos) {
      std::size_t start = last + kLastRead.size();
      std::size_t end = what.rfind("'; expected");
      if (end == std::string::npos || end < start) {
        end = what.size() > start && what.back() == '\'' ? what.size() - 1 : std::string::npos;
      }
      std::string read = what.substr(start, end == std::string::npos ? std::string::npos
                                                                      : end - start);
      std::string rest = end == std::string::npos ? "" : what.substr(end + 1);
      std::string cut;
      if (read.size() > 40) {
        read = read.substr(read.size() - 40);
        cut = "...";  // only the end of what it read, which is where the error is
      }
      what = what.substr(0, last) + "; last read: " + cut + Quote(read) + rest;
    }
    std::size_t offset = ErrorOffset(text_, position + skipped_, what);
    Diagnostic& d = diags_.Error("json-syntax", "", fmt::format("invalid JSON: {}", what),
                                 SyntaxHint(offset));
    d.offset = offset;
    failed_ = true;
    return false;
  }

 private:
  bool Put(Json&& value) {
    Place(std::move(value));
    return true;
  }
  Json* Place(Json&& value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    if (stack_.back()->is_binary()) {  // an element of a domains array that is not a string
      DomainArray& array = ArrayOf(*stack_.back());
      return &array.others.emplace_back(array.count++, std::move(value)).second;
    }
    if (stack_.back()->is_array()) {
      stack_.back()->push_back(std::move(value));
      return &stack_.back()->back();
    }
    *member_ = std::move(value);
    return member_;
  }
  bool Open(Json&& container) {
    if (stack_.size() >= limits_.max_depth) {
      Diagnostic& d = diags_.Error(
          "too-deep", "",
          fmt::format("nesting deeper than {} levels; a policy needs about 5", limits_.max_depth));
      d.offset = locator_.BracketStart();
      d.pointer = StackPointer();
      failed_ = true;
      return false;
    }
    stack_.push_back(Place(std::move(container)));
    ++generation_;
    return true;
  }
  bool Close() {
    stack_.pop_back();
    ++generation_;
    return true;
  }
  // A string of a domains array: a view of the text when the token holds no escape (its
  // bytes between the quotes are the value), else a copy.
  // The domains array that a placeholder of the DOM stands for.
  DomainArray& ArrayOf(const Json& placeholder) const {
    return (*arrays_)[placeholder.get_binary().subtype()];
  }
  void AddDomain(const std::string& value) {
    DomainArray& array = ArrayOf(*stack_.back());
    std::size_t end = locator_.Read();  // just past the closing quote
    std::size_t size = value.size();
    if (end >= size + 2 && end <= text_.size()) {
      std::size_t open = end - size - 2;
      // The character before the opening quote is never a backslash: outside strings JSON
      // has none. A quote inside the token would be escaped by one.
      if (text_[open] == '"' && text_[end - 1] == '"' && (open == 0 || text_[open - 1] != '\\') &&
          text_.compare(open + 1, size, value) == 0) {
        array.strings.AddStored(static_cast<std::uint32_t>(open + 1),
                                static_cast<std::uint32_t>(size), array.count++);
        return;
      }
    }
    array.strings.Add(value, array.count++);
  }
  // The fast path of a domains array, after one of its strings: the elements that follow,
  // `, "name"`, are read here, not by nlohmann (whose lexer copies every byte twice), as long
  // as each is plain printable ASCII without escape or comment and is followed by ',' or ']'.
  // The cursor then moves on past them, to where the lexer expects ',' or ']' again; anything
  // else is left to the lexer, so that its errors stay exactly as they are. nlohmann's own
  // count of bytes read then falls behind by `skipped_`, which parse_error adds back.
  void ReadPlainDomains() {
    DomainArray& array = ArrayOf(*stack_.back());
    const char* const begin = text_.data();
    const char* const end = begin + text_.size();
    const char** cursor = locator_.cursor();
    const char* p = *cursor;
    auto blank = [&](const char* q) {
      while (q < end && (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')) ++q;
      return q;
    };
    for (;;) {
      const char* q = blank(p);
      if (q == end || *q != ',') break;
      q = blank(q + 1);
      if (q == end || *q != '"') break;
      const char* start = ++q;
      while (q < end && *q >= 0x20 && *q < 0x7f && *q != '"' && *q != '\\') ++q;
      if (q == end || *q != '"') break;  // an escape, a control or non-ASCII byte: the lexer's
      std::size_t size = static_cast<std::size_t>(q - start);
      if (size > limits_.max_string_bytes) break;
      const char* after = blank(q + 1);
      if (after == end || (*after != ',' && *after != ']')) break;
      array.strings.AddStored(static_cast<std::uint32_t>(start - begin),
                              static_cast<std::uint32_t>(size), array.count++);
      p = q + 1;
    }
    skipped_ += static_cast<std::size_t>(p - *cursor);
    *cursor = p;
  }
  bool CheckString(const std::string& value) {
    if (value.size() <= limits_.max_string_bytes) return true;
    Diagnostic& d = diags_.Error(
        "string-too-long", "",
        fmt::format("string of {} bytes; at most {} bytes are accepted in a policy", value.size(),
                    limits_.max_string_bytes));
    d.offset = locator_.StringStart();
    d.pointer = StackPointer();
    failed_ = true;
    return false;
  }
  // The pointer of the innermost open container, found by walking the stack: only on errors,
  // and once per open container (5,000 duplicate keys under a parent of 100,000 members would
  // otherwise walk the parent 5,000 times).
  const std::string& StackPointer() const {
    if (pointer_generation_ != generation_) {
      stack_pointer_ = WalkStack();
      pointer_generation_ = generation_;
    }
    return stack_pointer_;
  }
  std::string WalkStack() const {
    std::string pointer;
    for (std::size_t i = 0; i + 1 < stack_.size(); ++i) {
      const Json& parent = *stack_[i];
      if (parent.is_array()) {
        for (std::size_t j = 0; j < parent.size(); ++j) {
          if (&parent[j] == stack_[i + 1]) pointer += "/" + std::to_string(j);
        }
      } else if (parent.is_binary()) {
        for (const auto& [index, value] : ArrayOf(parent).others) {
          if (&value == stack_[i + 1]) pointer += "/" + std::to_string(index);
        }
      } else {
        for (const auto& [key, value] : parent.items()) {
          if (&value == stack_[i + 1]) pointer += "/" + PointerToken(key);
        }
      }
    }
    return pointer;
  }
  std::string SyntaxHint(std::size_t offset) const {
    std::size_t i = std::min(offset, text_.size());
    if (i < text_.size() && (text_[i] == '}' || text_[i] == ']')) {
      while (i > 0 && (text_[i - 1] == ' ' || text_[i - 1] == '\n' || text_[i - 1] == '\t' ||
                       text_[i - 1] == '\r')) {
        --i;
      }
      if (i > 0 && text_[i - 1] == ',') return "remove the trailing comma: JSON does not allow it";
    }
    if (i < text_.size() && text_[i] == '\'') return "JSON strings use double quotes";
    return {};
  }

  std::string_view text_;
  TokenLocator& locator_;
  const ParseLimits& limits_;
  Diagnostics& diags_;
  Json root_;
  std::vector<Json*> stack_;
  std::size_t generation_ = 0;  // changes whenever stack_ does
  mutable std::size_t pointer_generation_ = static_cast<std::size_t>(-1);
  mutable std::string stack_pointer_;
  Json* member_ = nullptr;
  std::shared_ptr<NameStore> store_;
  std::deque<DomainArray>* arrays_ = nullptr;  // set: the domains arrays are kept apart
  const Json* routes_ = nullptr;  // the policy's "routes" array, once it is open
  bool member_is_routes_ = false;   // the key just read is the policy's "routes"
  bool member_is_domains_ = false;  // the key just read is a route's "domains"
  std::size_t skipped_ = 0;  // bytes ReadPlainDomains read past the lexer
  std::deque<Json> discarded_;  // values of duplicate keys; deque keeps pointers stable
  bool failed_ = false;
};

// Records where the wanted pointers' keys and values start, walking the same events.
class PointerFinder : public nlohmann::json_sax<Json> {
 public:
  struct Place {
    std::optional<std::size_t> key;
    std::optional<std::size_t> value;
  };

  PointerFinder(TokenLocator& locator, const std::set<std::string>& wanted)
      : locator_(locator), wanted_(wanted) {}

  std::map<std::string, Place>& found() { return found_; }

  bool null() override { return Value(locator_.LiteralStart(4)); }
  bool boolean(bool value) override { return Value(locator_.LiteralStart(value ? 4 : 5)); }
  bool number_integer(number_integer_t) override { return Value(locator_.NumberStart()); }
  bool number_unsigned(number_unsigned_t) override { return Value(locator_.NumberStart()); }
  bool number_float(number_float_t, const string_t&) override {
    return Value(locator_.NumberStart());
  }
  bool string(string_t&) override { return Value(locator_.StringStart()); }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return Open(false); }
  bool start_array(std::size_t) override { return Open(true); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }
  bool key(string_t& key) override {
    Frame& top = frames_.back();
    top.member = top.pointer + "/" + PointerToken(key);
    if (wanted_.count(top.member) && !found_[top.member].key) {
      found_[top.member].key = locator_.StringStart();
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  struct Frame {
    bool is_array;
    std::string pointer;
    std::size_t next_index = 0;
    std::string member;
  };

  std::string CurrentPointer() {
    if (frames_.empty()) return "";
    Frame& top = frames_.back();
    if (top.is_array) return top.pointer + "/" + std::to_string(top.next_index++);
    return top.member;
  }
  bool Value(std::size_t offset) {
    Record(CurrentPointer(), offset);
    return true;
  }
  bool Open(bool is_array) {
    std::string pointer = CurrentPointer();
    Record(pointer, locator_.BracketStart());
    frames_.push_back(Frame{is_array, std::move(pointer), 0, {}});
    return true;
  }
  bool Close() {
    frames_.pop_back();
    return true;
  }
  void Record(const std::string& pointer, std::size_t offset) {
    if (wanted_.count(pointer) && !found_[pointer].value) found_[pointer].value = offset;
  }

  TokenLocator& locator_;
  const std::set<std::string>& wanted_;
  std::vector<Frame> frames_;
  std::map<std::string, Place> found_;
};

// nlohmann takes a NUL byte for the end of the input and would ignore the rest.
void NulError(std::size_t offset, Diagnostics& diags) {
  diags.Error("json-syntax", "", "invalid JSON: a NUL byte (U+0000) is not allowed in a policy",
              "the file may be binary or in UTF-16; save it as UTF-8")
      .offset = offset;
}

std::string ParentPointer(const std::string& pointer) {
  std::size_t slash = pointer.rfind('/');
  return slash == std::string::npos ? "" : pointer.substr(0, slash);
}

// The DOM of text; with `names` set, the routes' domains arrays go to `arrays` instead.
std::optional<Json> Parse(std::string_view text, const ParseLimits& limits, Diagnostics& diags,
                          std::shared_ptr<NameStore> names, std::deque<DomainArray>* arrays) {
  if (std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    NulError(nul, diags);
    return std::nullopt;
  }
  TokenLocator locator(text);
  DomBuilder builder(text, locator, limits, diags);
  if (names) builder.KeepDomainsApart(std::move(names), arrays);
  RunSax(text, locator, builder);
  if (builder.failed()) return std::nullopt;
  return std::move(builder.root());
}

}  // namespace

std::optional<Json> ParseDocument(std::string_view text, const ParseLimits& limits,
                                  Diagnostics& diags) {
  return Parse(text, limits, diags, nullptr, nullptr);
}

std::optional<PolicyDocument> ParsePolicyDocument(std::shared_ptr<NameStore> names,
                                                  const ParseLimits& limits, Diagnostics& diags) {
  std::string_view text = names->text();
  if (text.size() > NameStore::kMaxText) {  // names are 31-bit offsets into the text
    diags
        .Error("file-too-large", "",
               fmt::format("the policy is {} bytes; mtaroute reads at most {} bytes",
                           text.size(), NameStore::kMaxText),
               "split the policy")
        .offset = 0;
    return std::nullopt;
  }
  PolicyDocument document;
  std::optional<Json> root = Parse(text, limits, diags, names, &document.domain_arrays);
  if (!root) return std::nullopt;
  document.root = std::move(*root);
  document.names = std::move(names);
  return document;
}

void ResolveLocations(std::string_view file, std::string_view text,
                      std::vector<Diagnostic>& diagnostics) {
  std::set<std::string> wanted;
  for (const Diagnostic& d : diagnostics) {
    if (d.offset) continue;
    for (std::string p = d.pointer;; p = ParentPointer(p)) {
      wanted.insert(p);
      if (p.empty()) break;
    }
  }
  std::map<std::string, PointerFinder::Place> found;
  if (!wanted.empty()) {
    TokenLocator locator(text);
    PointerFinder finder(locator, wanted);
    RunSax(text, locator, finder);
    found = std::move(finder.found());
  }
  std::vector<std::pair<std::size_t, Diagnostic*>> by_offset;
  by_offset.reserve(diagnostics.size());
  for (Diagnostic& d : diagnostics) {
    d.file = std::string(file);
    std::size_t offset = 0;
    if (d.offset) {
      offset = *d.offset;
    } else {
      for (std::string p = d.pointer;; p = ParentPointer(p)) {
        auto it = found.find(p);
        if (it != found.end()) {
          const PointerFinder::Place& place = it->second;
          auto chosen = (d.at_key && p == d.pointer && place.key) ? place.key : place.value;
          if (!chosen) chosen = place.key ? place.key : place.value;
          if (chosen) {
            offset = *chosen;
            break;
          }
        }
        if (p.empty()) break;
      }
    }
    by_offset.emplace_back(std::min(offset, text.size()), &d);
  }
  // One pass over the text for all of them, in offset order: 500 diagnostics near the end of
  // a large file must not each count the lines from the start.
  std::stable_sort(by_offset.begin(), by_offset.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::size_t done = 0;
  LineColumn lc;
  for (auto& [offset, d] : by_offset) {
    LineColumn step = OffsetToLineColumn(text.substr(done, offset - done), offset - done);
    if (step.line == 1) {
      lc.column += step.column - 1;  // no line feed since the last one: the same line
    } else {
      lc.line += step.line - 1;
      lc.column = step.column;
    }
    done = offset;
    d->line = lc.line;
    d->column = lc.column;
  }
}

}  // namespace mtaroute
