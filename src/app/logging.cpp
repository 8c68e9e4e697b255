#include "app/logging.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace botcore {

std::shared_ptr<spdlog::logger> make_logger(const LogConfig& config) {
    // Call sites pass the fields of a JSON object ("msg":"...","key":value) as the message, so
    // the pattern only adds time, level and logger around them.
    auto pool = std::make_shared<spdlog::details::thread_pool>(16384, 1);
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto logger = std::make_shared<spdlog::async_logger>("botcore", sink, pool,
                                                         spdlog::async_overflow_policy::block);
    if (config.format == "json") {
        logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})",
                            spdlog::pattern_time_type::utc);
    } else {
        logger->set_pattern("%Y-%m-%d %H:%M:%S.%f %l %v", spdlog::pattern_time_type::utc);
    }
    logger->set_level(spdlog::level::from_str(config.level));
    logger->flush_on(spdlog::level::warn);
    // The pool must outlive the logger; the logger keeps a weak reference only.
    struct Holder {
        std::shared_ptr<spdlog::details::thread_pool> pool;
        std::shared_ptr<spdlog::async_logger> logger;
    };
    auto holder = std::make_shared<Holder>(Holder{pool, logger});
    return std::shared_ptr<spdlog::logger>(holder, holder->logger.get());
}

}  // namespace botcore
