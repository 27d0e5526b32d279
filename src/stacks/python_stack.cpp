#include "src/stacks/python_stack.hpp"

namespace iotrace {
namespace {

// Each entry starts with a byte 1cccclll: code c, and l+1 code units covered.
constexpr int k_none = 15, k_long = 14, k_no_columns = 13, k_one_line0 = 10;

struct Reader {
  std::string_view t;
  size_t at = 0;
  bool more() const { return at < t.size(); }
  uint8_t byte() { return more() ? static_cast<uint8_t>(t[at++]) : 0; }
  // 6-bit chunks, least significant first; bit 6 says another chunk follows
  uint32_t varint() {
    uint32_t b = byte(), v = b & 63, shift = 0;
    while ((b & 64) && more() && shift < 30) {
      b = byte();
      shift += 6;
      v |= (b & 63) << shift;
    }
    return v;
  }
  int svarint() {
    uint32_t u = varint();
    return (u & 1) ? -static_cast<int>(u >> 1) : static_cast<int>(u >> 1);
  }
};

}  // namespace

int python311_line(std::string_view table, int first_line, uint64_t index) {
  Reader r{table};
  int line = first_line;
  uint64_t start = 0;
  while (r.more()) {
    uint8_t head = r.byte();
    if (!(head & 0x80)) return 0;  // not at an entry: the table is not what we think
    int code = (head >> 3) & 15;
    uint64_t units = (head & 7) + 1u;
    int delta = 0;
    if (code == k_none) {
    } else if (code == k_long) {
      delta = r.svarint();
      r.varint();  // end line delta
      r.varint();  // column + 1
      r.varint();  // end column + 1
    } else if (code == k_no_columns) {
      delta = r.svarint();
    } else if (code >= k_one_line0) {
      delta = code - k_one_line0;
      r.byte();  // start column
      r.byte();  // end column
    } else {
      r.byte();  // short form: one column byte
    }
    line += delta;
    if (index < start + units) return code == k_none ? 0 : line;
    start += units;
  }
  return 0;
}

void interleave_python(std::vector<Frame>& native, const std::vector<Frame>& python,
                       const std::vector<bool>& entry) {
  std::vector<Frame> out;
  size_t next = 0;  // first Python frame not yet placed
  auto place_run = [&] {
    while (next < python.size()) {
      bool ends_run = next < entry.size() && entry[next];
      out.push_back(python[next++]);
      if (ends_run) return;
    }
  };
  for (const auto& f : native) {
    if (f.kind == FrameKind::native && f.symbol == k_python_eval_frame) place_run();
    out.push_back(f);
  }
  while (next < python.size()) place_run();
  native = std::move(out);
}

}  // namespace iotrace
