// The JWT signing secret: the configured one, or one generated on first start and kept in the
// data directory (mode 0600) so tokens survive restarts.
#pragma once

#include <expected>
#include <string>

namespace botcore {

// Returns the secret, or an error naming the file that could not be read or written.
std::expected<std::string, std::string> load_or_create_jwt_secret(const std::string& configured,
                                                                  const std::string& data_dir);

}  // namespace botcore
