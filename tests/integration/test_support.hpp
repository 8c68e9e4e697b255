// Helpers shared by the integration tests: a temporary directory and a clock moved by hand.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

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

  private:
    std::string path_;
};

class ManualClock final : public ports::Clock {
  public:
    explicit ManualClock(std::int64_t start_ms = 1'800'000'000'000) : now_(start_ms) {}
    std::int64_t now_ms() const override { return now_.load(); }
    void advance_ms(std::int64_t delta) { now_ += delta; }

  private:
    std::atomic<std::int64_t> now_;
};

}  // namespace botcore::testing
