// Safe rendering of untrusted bytes for error messages and trace output: no raw
// control bytes, quotes or non-ASCII ever reach a log line or a JSON reason.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace speerd::luf {

// Printable ASCII is kept; backslash becomes "\\"; every other byte becomes "\xHH".
// Output is capped at max_bytes of input (a "..." marks the cut).
std::string printable(std::string_view bytes, std::size_t max_bytes = 80);

// One character for a message: 'a', '\x0a', or U+FF11 when `text` holds a valid
// UTF-8 sequence at `pos` (then *length is set to its byte count, else to 1).
std::string describe_char(std::string_view text, std::size_t pos, std::size_t* length);

}  // namespace speerd::luf
