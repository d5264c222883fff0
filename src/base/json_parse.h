// One JSON parse for every reader of user files (workloads, topologies, profiles, cost
// profiles, layer specs, validate references): syntax errors as nlohmann reports them, and a
// number no double can hold (1e999, -1e999) as an error naming its key path and the number,
// where nlohmann would throw out_of_range from the middle of the parse.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/json_error.h"

namespace scx {

struct JsonParseError {
  size_t byte = 0;     // nlohmann's 1-based index of the last character read
  std::string what;    // nlohmann's message ("[json.exception.parse_error.101] parse error ...")
  std::string reason;  // the message without nlohmann's prefix, or "KEY: number N is out of range"
  bool number_out_of_range = false;
};

// Joins an object key or array index onto a key path ("tasks.thread0.run", "cpus[3]").
std::string json_path_join(const std::string& path, const std::string& key);
std::string json_path_index(const std::string& path, size_t index);

namespace json_detail {

// The DOM builder with the key path of the value being read, so that the error of an
// out-of-range number can name where it is.
template <class Json>
class PathTrackingSax {
 public:
  using number_integer_t = typename Json::number_integer_t;
  using number_unsigned_t = typename Json::number_unsigned_t;
  using number_float_t = typename Json::number_float_t;
  using string_t = typename Json::string_t;
  using binary_t = typename Json::binary_t;

  explicit PathTrackingSax(Json& out) : dom_(out, /*allow_exceptions=*/false) {}

  bool null() { return value(dom_.null()); }
  bool boolean(bool b) { return value(dom_.boolean(b)); }
  bool number_integer(number_integer_t v) { return value(dom_.number_integer(v)); }
  bool number_unsigned(number_unsigned_t v) { return value(dom_.number_unsigned(v)); }
  bool number_float(number_float_t v, const string_t& s) { return value(dom_.number_float(v, s)); }
  bool string(string_t& s) { return value(dom_.string(s)); }
  bool binary(binary_t& b) { return value(dom_.binary(b)); }
  bool start_object(std::size_t n) {
    levels_.push_back({here(), false, 0, {}});
    return dom_.start_object(n);
  }
  bool key(string_t& k) {
    levels_.back().key = k;
    return dom_.key(k);
  }
  bool end_object() {
    levels_.pop_back();
    return value(dom_.end_object());
  }
  bool start_array(std::size_t n) {
    levels_.push_back({here(), true, 0, {}});
    return dom_.start_array(n);
  }
  bool end_array() {
    levels_.pop_back();
    return value(dom_.end_array());
  }
  bool parse_error(std::size_t position, const std::string& last_token, const nlohmann::detail::exception& ex) {
    error_ = JsonParseError{position, ex.what(), {}, false};
    if (dynamic_cast<const nlohmann::detail::out_of_range*>(&ex)) {
      error_->number_out_of_range = true;
      const std::string where = here();
      error_->reason = (where.empty() ? std::string() : where + ": ") + "number " + last_token + " is out of range";
    }
    return dom_.parse_error(position, last_token, ex);
  }

  const std::optional<JsonParseError>& error() const { return error_; }

 private:
  struct Level {
    std::string path;  // of the object or array itself
    bool array;
    size_t index;      // arrays: the next element's
    std::string key;   // objects: the last key read
  };
  // The path of the value about to be read.
  std::string here() const {
    if (levels_.empty()) return {};
    const Level& l = levels_.back();
    return l.array ? json_path_index(l.path, l.index) : json_path_join(l.path, l.key);
  }
  // A value (scalar or closed container) was read: the enclosing array moves to its next slot.
  bool value(bool ok) {
    if (!levels_.empty() && levels_.back().array) ++levels_.back().index;
    return ok;
  }

  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  std::vector<Level> levels_;
  std::optional<JsonParseError> error_;
};

}  // namespace json_detail

// Parses `text` into *out; nullopt on success. `ignore_comments`: rt-app's /* */ and //.
template <class Json>
std::optional<JsonParseError> parse_json(std::string_view text, Json* out, bool ignore_comments = false) {
  json_detail::PathTrackingSax<Json> sax(*out);
  if (Json::sax_parse(text, &sax, nlohmann::json::input_format_t::json, /*strict=*/true, ignore_comments))
    return std::nullopt;
  std::optional<JsonParseError> e = sax.error();
  if (!e) e = JsonParseError{0, "parse error", "not valid JSON", false};
  if (e->reason.empty()) e->reason = parse_reason(e->what.c_str());
  return e;
}

}  // namespace scx
