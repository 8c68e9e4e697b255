#include "fd_limit.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>

namespace botcore::load {

std::optional<std::string> ensure_fd_limit(std::size_t needed) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return "cannot read the open-file limit";
    }
    const auto wanted = static_cast<rlim_t>(needed);
    if (limit.rlim_cur >= wanted) {
        return std::nullopt;
    }
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur >= wanted) {
        return std::nullopt;
    }
    return fmt::format("the open-file limit is {} but about {} are needed (ulimit -n)",
                       limit.rlim_cur, needed);
}

}  // namespace botcore::load
