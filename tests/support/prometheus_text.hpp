#pragma once
// A strict reader of Prometheus' text exposition format (0.0.4), for the metrics tests: it rejects what a Prometheus
// server would refuse to ingest (bad names, bad label syntax or escapes, unparsable values, a sample before or outside
// its family's TYPE, a series twice, histogram buckets that are not cumulative or whose +Inf bucket differs from
// _count) and gives every sample's value by its series, labels sorted by name:
//   qurable_webhooks_requests_total{event_type="member-created",outcome="dispatched",status="200"}
// promtool (Debian's `prometheus` package), when installed, checks the same text too.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qurable::test {

struct exposition {
  std::map<std::string, std::string> types;  // family name → counter, gauge, histogram, summary, untyped
  std::map<std::string, double> samples;     // series → value

  bool has(const std::string& series) const { return samples.count(series) != 0; }
  // The value of a series; NaN when there is none (so that a comparison with a number fails).
  double value(const std::string& series) const {
    const auto it = samples.find(series);
    return it == samples.end() ? std::nan("") : it->second;
  }
  // How many series of one metric name (any labels).
  std::size_t count(std::string_view name) const {
    std::size_t n = 0;
    for (const auto& sample : samples) {
      const std::string_view series = sample.first;
      if (series.substr(0, name.size()) == name && (series.size() == name.size() || series[name.size()] == '{')) ++n;
    }
    return n;
  }
};

namespace detail {

inline bool is_name_start(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}
inline bool is_name_char(char c, bool colon) { return is_name_start(c, colon) || (c >= '0' && c <= '9'); }

inline std::size_t read_name(std::string_view s, std::size_t i, bool colon) {
  if (i >= s.size() || !is_name_start(s[i], colon)) return i;
  ++i;
  while (i < s.size() && is_name_char(s[i], colon)) ++i;
  return i;
}

inline bool parse_value(std::string_view text, double& value) {
  if (text == "+Inf" || text == "Inf") {
    value = HUGE_VAL;
    return true;
  }
  if (text == "-Inf") {
    value = -HUGE_VAL;
    return true;
  }
  if (text == "NaN") {
    value = std::nan("");
    return true;
  }
  if (text.empty()) return false;
  const std::string copy(text);
  char* end = nullptr;
  value = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size() && std::isfinite(value);
}

}  // namespace detail

// Parses `text` into `out`. Returns the first problem ("line 12: ..."), or nothing when the text is valid.
inline std::optional<std::string> parse_exposition(std::string_view text, exposition& out) {
  if (!text.empty() && text.back() != '\n') return std::string("the text does not end with a newline");
  std::set<std::string> families_seen_samples;
  std::string current_family;
  // Histograms: series without `le` → (le → cumulative count), for the consistency checks at the end.
  std::map<std::string, std::vector<std::pair<double, double>>> buckets;
  std::map<std::string, double> histogram_counts;
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    const auto fail = [&](const std::string& what) {
      return "line " + std::to_string(line_number) + ": " + what + ": " + std::string(line);
    };
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (line.substr(0, 7) != "# HELP " && line.substr(0, 7) != "# TYPE ") continue;  // a plain comment
      const std::size_t name_end = detail::read_name(line, 7, true);
      if (name_end == 7 || (name_end < line.size() && line[name_end] != ' ')) return fail("bad metric name");
      const std::string name(line.substr(7, name_end - 7));
      if (line.substr(0, 7) == "# TYPE ") {
        const std::string_view type = name_end < line.size() ? line.substr(name_end + 1) : std::string_view();
        if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" && type != "untyped") {
          return fail("unknown type");
        }
        if (out.types.count(name) != 0) return fail("a second TYPE for " + name);
        if (families_seen_samples.count(name) != 0) return fail("TYPE after the family's samples");
        out.types[name] = std::string(type);
        current_family = name;
      }
      continue;
    }

    // A sample: name, optional labels, value, optional timestamp.
    const std::size_t name_end = detail::read_name(line, 0, true);
    if (name_end == 0) return fail("bad metric name");
    const std::string name(line.substr(0, name_end));
    std::map<std::string, std::string> labels;
    std::size_t i = name_end;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const std::size_t label_end = detail::read_name(line, i, false);
        if (label_end == i) return fail("bad label name");
        const std::string label(line.substr(i, label_end - i));
        i = label_end;
        if (line.substr(i, 2) != "=\"") return fail("expected =\" after a label name");
        i += 2;
        std::string value;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\') {
            if (i + 1 >= line.size()) return fail("unfinished escape");
            const char e = line[i + 1];
            if (e != '\\' && e != '"' && e != 'n') return fail("bad escape");
            value += line.substr(i, 2);
            i += 2;
          } else {
            value += line[i++];
          }
        }
        if (i >= line.size()) return fail("unterminated label value");
        ++i;  // the closing quote
        if (label.substr(0, 2) == "__") return fail("reserved label name");
        if (!labels.emplace(label, value).second) return fail("label given twice");
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) return fail("unterminated label set");
      ++i;  // '}'
    }
    if (i >= line.size() || line[i] != ' ') return fail("expected a space before the value");
    ++i;
    const std::size_t value_end = line.find(' ', i);
    double value = 0;
    if (!detail::parse_value(line.substr(i, value_end - i), value)) return fail("bad value");
    if (value_end != std::string_view::npos) {
      const std::string_view stamp = line.substr(value_end + 1);
      if (stamp.empty() || stamp.find_first_not_of("-0123456789") != std::string_view::npos) {
        return fail("bad timestamp");
      }
    }

    // Which family the sample belongs to: the last TYPE, by name or by a histogram's/summary's suffix.
    const auto type_it = out.types.find(current_family);
    if (type_it == out.types.end()) return fail("a sample with no TYPE before it");
    const std::string& type = type_it->second;
    std::string suffix;
    if (name != current_family) {
      for (const char* s : {"_bucket", "_sum", "_count"}) {
        if (name == current_family + s) suffix = s;
      }
      if (suffix.empty() || (type != "histogram" && type != "summary")) {
        return fail("the sample is not of the family " + current_family);
      }
    }
    if (type == "counter" && !(value >= 0)) return fail("a negative or NaN counter");
    families_seen_samples.insert(current_family);

    std::string series = name;
    std::string series_without_le = current_family;
    if (!labels.empty()) {
      std::string list;
      std::string list_without_le;
      for (const auto& [label, label_value] : labels) {
        const std::string item = label + "=\"" + label_value + "\"";
        list += (list.empty() ? "" : ",") + item;
        if (label != "le") list_without_le += (list_without_le.empty() ? "" : ",") + item;
      }
      series += "{" + list + "}";
      if (!list_without_le.empty()) series_without_le += "{" + list_without_le + "}";
    }
    if (!out.samples.emplace(series, value).second) return fail("the series appears twice");

    if (type == "histogram") {
      if (suffix == "_bucket") {
        const auto le = labels.find("le");
        double bound = 0;
        if (le == labels.end() || !detail::parse_value(le->second, bound)) {
          if (le == labels.end() || le->second != "+Inf") return fail("a bucket without a valid le");
          bound = HUGE_VAL;
        }
        buckets[series_without_le].emplace_back(bound, value);
      } else if (suffix == "_count") {
        histogram_counts[series_without_le] = value;
      } else if (suffix.empty()) {
        return fail("a histogram sample without _bucket, _sum or _count");
      }
    }
  }

  for (const auto& [series, list] : buckets) {
    double previous_bound = -HUGE_VAL;
    double previous_count = 0;
    for (const auto& [bound, count] : list) {
      if (!(bound > previous_bound)) return "histogram " + series + ": le not increasing";
      if (count < previous_count) return "histogram " + series + ": buckets not cumulative";
      previous_bound = bound;
      previous_count = count;
    }
    if (list.empty() || list.back().first != HUGE_VAL) return "histogram " + series + ": no +Inf bucket";
    const auto count = histogram_counts.find(series);
    if (count == histogram_counts.end() || count->second != list.back().second) {
      return "histogram " + series + ": the +Inf bucket is not _count";
    }
  }
  return std::nullopt;
}

// Runs `<promtool> check metrics` on `text` (written to `file`, removed afterwards) and gives its exit status: 0 when
// promtool parsed the text and its lint passed.
inline int promtool_check(const std::string& promtool, std::string_view text, const std::string& file) {
  {
    std::ofstream out(file, std::ios::binary);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  const std::string command = promtool + " check metrics < " + file + " 2>&1";
  const int status = std::system(command.c_str());
  std::remove(file.c_str());
  return status;
}

}  // namespace qurable::test
