// Columns of the text report: each as wide as its widest cell (never narrower than its usual
// width), with at least one space between neighbours, so no two values can run together.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace iotrace::cli {

// Display columns of escaped text (printable ASCII and valid UTF-8): one per character.
size_t display_columns(std::string_view s);

struct TableColumn {
  std::string header;
  size_t width = 0;   // the usual width of its cells, without the space before it
  bool left = false;  // names are left-aligned, numbers right-aligned
};

class TextTable {
 public:
  explicit TextTable(std::vector<TableColumn> columns) : columns_(std::move(columns)) {}
  // One cell per column.
  void add_row(std::vector<std::string> cells);
  // The header line, then one line per row; each starts with indent, has one space between
  // columns and no trailing space.
  std::vector<std::string> lines(std::string_view indent) const;

 private:
  std::string line(std::string_view indent, const std::vector<std::string>& cells,
                   const std::vector<size_t>& widths) const;
  std::vector<TableColumn> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace iotrace::cli
