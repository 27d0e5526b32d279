// gzip (RFC 1952) with zlib: the exporter's compressed answers and pprof profiles.
#pragma once
#include <string>
#include <string_view>

namespace iotrace {

// The gzip of data; empty only if zlib fails.
std::string gzip(std::string_view data);
// The data of a gzip stream; empty when it is not one.
std::string gunzip(std::string_view data);

}  // namespace iotrace
