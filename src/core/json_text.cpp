// JSON string escaping (see json_text.hpp).
#include "core/json_text.hpp"

#include <simdjson.h>

namespace finstream {

void append_json_string(std::string& out, std::string_view s) {
  static const char hex[] = "0123456789abcdef";
  const bool utf8_ok = simdjson::validate_utf8(s.data(), s.size());
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20) {
        out += "\\u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xf]);
      } else if (c >= 0x80 && !utf8_ok) {
        out.push_back('?');
      } else {
        out.push_back(ch);
      }
    }
  }
  out.push_back('"');
}

} // namespace finstream
