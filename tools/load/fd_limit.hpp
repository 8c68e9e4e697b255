// The open-file limit: one descriptor per connection.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace botcore::load {

// Raises the soft RLIMIT_NOFILE towards `needed` (up to the hard limit). Returns a warning
// when `needed` descriptors cannot be had.
std::optional<std::string> ensure_fd_limit(std::size_t needed);

}  // namespace botcore::load
