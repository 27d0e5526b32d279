#include "cli/render/text_table.hpp"

#include <algorithm>
#include <stdexcept>

namespace iotrace::cli {

size_t display_columns(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xc0) != 0x80) ++n;
  return n;
}

void TextTable::add_row(std::vector<std::string> cells) {
  if (cells.size() != columns_.size()) throw std::logic_error("text table: wrong number of cells");
  rows_.push_back(std::move(cells));
}

std::string TextTable::line(std::string_view indent, const std::vector<std::string>& cells,
                            const std::vector<size_t>& widths) const {
  std::string out(indent);
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i) out += ' ';
    std::string pad(widths[i] - display_columns(cells[i]), ' ');
    out += columns_[i].left ? cells[i] + pad : pad + cells[i];
  }
  while (out.size() > indent.size() && out.back() == ' ') out.pop_back();
  return out;
}

std::vector<std::string> TextTable::lines(std::string_view indent) const {
  std::vector<size_t> widths;
  std::vector<std::string> header;
  for (const auto& c : columns_) {
    widths.push_back(std::max(c.width, display_columns(c.header)));
    header.push_back(c.header);
  }
  for (const auto& r : rows_)
    for (size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], display_columns(r[i]));
  std::vector<std::string> out = {line(indent, header, widths)};
  for (const auto& r : rows_) out.push_back(line(indent, r, widths));
  return out;
}

}  // namespace iotrace::cli
