// Writing JSON text by hand (messages on Kafka, `--json` outputs): string escaping.
#pragma once

#include <string>
#include <string_view>

namespace finstream {

/// Appends `s` as a JSON string literal (quotes included): `"` `\` and control characters escaped;
/// bytes of invalid UTF-8 become '?', so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view s);

} // namespace finstream
