// Helpers shared by the integration tests (and unit tests that write files): a temporary directory
// and a clock moved by hand.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "ports/clock.hpp"

namespace botcore::testing {

class TempDir {
  public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "botcore-test-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data());
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    // Writes a file in the directory and returns its path.
    std::filesystem::path write(const std::string& name, const std::string& text) const {
        const auto file = std::filesystem::path(path_) / name;
        std::ofstream(file, std::ios::binary) << text;
        return file;
    }

  private:
    std::string path_;
};

// ctest starts PostgreSQL and Redis for the run (the services fixture) at the URLs compiled
// in, and sets BOTCORE_CTEST_SERVICES=1: then tests that need them fail without them. Run by
// hand, BOTCORE_TEST_PG_URL and BOTCORE_TEST_REDIS_URL name servers, and a test whose server is
// not named is skipped.
inline bool services_required() {
    const char* set = std::getenv("BOTCORE_CTEST_SERVICES");
    return set != nullptr && std::string(set) == "1";
}

// The URL named by variable, else ctest's when it runs the services; nullptr: none.
inline const char* service_url(const char* variable, const char* ctest_url) {
    const char* url = std::getenv(variable);
    if (url != nullptr && *url != '\0') {
        return url;
    }
    return services_required() ? ctest_url : nullptr;
}

#ifdef BOTCORE_CTEST_PG_URL
inline const char* postgres_url() {
    return service_url("BOTCORE_TEST_PG_URL", BOTCORE_CTEST_PG_URL);
}
inline const char* redis_url() {
    return service_url("BOTCORE_TEST_REDIS_URL", BOTCORE_CTEST_REDIS_URL);
}
// PgBouncer in transaction mode in front of postgres_url()'s server.
inline const char* pgbouncer_url() {
    return service_url("BOTCORE_TEST_PGBOUNCER_URL", BOTCORE_CTEST_PGBOUNCER_URL);
}
#endif

// Polls done() until it holds or limit passes; whether it held.
template <class Predicate>
bool wait_for(Predicate done, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

class ManualClock final : public ports::Clock {
  public:
    explicit ManualClock(std::int64_t start_ms = 1'800'000'000'000) : now_(start_ms) {}
    std::int64_t now_ms() const override { return now_.load(); }
    void advance_ms(std::int64_t delta) { now_ += delta; }

  private:
    std::atomic<std::int64_t> now_;
};

}  // namespace botcore::testing
