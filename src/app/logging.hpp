// The process logger: JSON lines (or plain text) on stderr, written by a background thread.
#pragma once

#include <memory>

#include "app/config.hpp"

namespace spdlog {
class logger;
}

namespace botcore {

std::shared_ptr<spdlog::logger> make_logger(const LogConfig& config);

}  // namespace botcore
