#include "market/replay_feed.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <limits>
#include <map>
#include <string_view>

#include "market/binance_kline.hpp"
#include "market/kline_path.hpp"

namespace botcore::market {

namespace {

// Shifts are whole hours, the longest candle interval, so shifted candles keep their bounds.
constexpr std::int64_t kShiftUnitMs = 3'600'000;

std::int64_t floor_to_unit(std::int64_t ms) {
    const auto rem = ((ms % kShiftUnitMs) + kShiftUnitMs) % kShiftUnitMs;
    return ms - rem;
}

std::int64_t ceil_to_unit(std::int64_t ms) {
    return -floor_to_unit(-ms);
}

bool is_blank(std::string_view line) {
    return line.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// "BTCUSDT-1m-2024-01.csv" -> {"BTCUSDT", "1m"}; "ethusdt.csv" -> {"ETHUSDT", ""}.
std::pair<std::string, std::string> name_parts(const std::filesystem::path& file) {
    const auto stem = file.stem().string();
    const auto dash = stem.find('-');
    std::string symbol = stem.substr(0, dash);
    for (auto& c : symbol) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    std::string interval;
    if (dash != std::string::npos) {
        const auto rest = stem.substr(dash + 1);
        const auto candidate = rest.substr(0, rest.find('-'));
        if (is_kline_interval(candidate)) {
            interval = candidate;
        }
    }
    return {std::move(symbol), std::move(interval)};
}

bool valid_symbol(std::string_view symbol) {
    return !symbol.empty() && std::all_of(symbol.begin(), symbol.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
}

std::expected<std::vector<std::filesystem::path>, std::string> list_files(
    const std::vector<std::filesystem::path>& paths) {
    std::vector<std::filesystem::path> files;
    for (const auto& path : paths) {
        std::error_code ec;
        if (std::filesystem::is_directory(path, ec)) {
            for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
                if (entry.is_regular_file() && entry.path().extension() == ".csv") {
                    files.push_back(entry.path());
                }
            }
            if (ec) {
                return std::unexpected("cannot list " + path.string() + ": " + ec.message());
            }
        } else if (std::filesystem::is_regular_file(path, ec)) {
            files.push_back(path);
        } else {
            return std::unexpected("no such file or directory: " + path.string());
        }
    }
    if (files.empty()) {
        return std::unexpected(std::string("no kline CSV file to replay"));
    }
    return files;
}

}  // namespace

// Reads one source's klines, file after file, and hands out their ticks one at a time.
class ReplayFeed::Cursor {
  public:
    Cursor(ReplayFeed& feed, const ReplaySource& source) : feed_(feed), source_(source) {}

    // The next tick of the source (recorded time), nullptr once every file is read.
    const ports::Tick* peek() {
        if (next_ == path_.size() && !load_kline()) {
            return nullptr;
        }
        return &path_[next_];
    }
    void pop() { ++next_; }

  private:
    bool load_kline() {
        std::string line;
        for (;;) {
            if (!in_.is_open() || !std::getline(in_, line)) {
                if (!open_next_file()) {
                    return false;
                }
                continue;
            }
            ++line_no_;
            auto parsed = parse_kline_csv(line, source_.symbol, source_.interval);
            if (!parsed) {
                skip(parsed.error().message);
                continue;
            }
            if (!*parsed) {
                if (line_no_ > 1 && !is_blank(line)) {
                    skip("a header line after the first line");
                }
                continue;
            }
            const auto& kline = **parsed;
            if (kline.open_ms <= last_close_ms_) {
                skip("the kline does not start after the previous one of " + source_.symbol);
                continue;
            }
            last_close_ms_ = kline.close_ms;
            feed_.klines_.fetch_add(1, std::memory_order_relaxed);
            path_ = kline_path(kline);
            next_ = 0;
            return true;
        }
    }

    bool open_next_file() {
        in_.close();
        while (file_ < source_.files.size()) {
            const auto& path = source_.files[file_++];
            in_.clear();
            in_.open(path);
            line_no_ = 0;
            if (in_.is_open()) {
                return true;
            }
            feed_.skipped("cannot open " + path.string());
        }
        return false;
    }

    void skip(const std::string& why) {
        feed_.skipped(source_.files[file_ - 1].filename().string() + ":" +
                      std::to_string(line_no_) + ": " + why);
    }

    ReplayFeed& feed_;
    const ReplaySource& source_;
    std::size_t file_ = 0;
    std::ifstream in_;
    std::size_t line_no_ = 0;
    std::array<ports::Tick, 4> path_;
    std::size_t next_ = path_.size();
    std::int64_t last_close_ms_ = std::numeric_limits<std::int64_t>::min();
};

std::expected<std::unique_ptr<ReplayFeed>, std::string> ReplayFeed::open(
    ReplayConfig config, const ports::Clock& clock) {
    if (config.speed < 0) {
        return std::unexpected("replay speed " + std::to_string(config.speed) +
                               " is negative (0 = as fast as possible)");
    }
    auto files = list_files(config.paths);
    if (!files) {
        return std::unexpected(files.error());
    }
    std::map<std::string, ReplaySource> by_symbol;
    for (const auto& file : *files) {
        auto [symbol, interval] = name_parts(file);
        if (!valid_symbol(symbol)) {
            return std::unexpected("cannot tell the symbol of " + file.string() +
                                   " (expected a name like BTCUSDT-1m-2024-01.csv)");
        }
        if (config.catalog != nullptr && config.catalog->find(symbol) == nullptr) {
            return std::unexpected("unknown symbol " + symbol + " (file " + file.string() + ")");
        }
        if (config.only != nullptr && config.only->find(symbol) == nullptr) {
            continue;
        }
        auto& source = by_symbol[symbol];
        if (!source.files.empty() && source.interval != interval) {
            return std::unexpected("files of " + symbol + " have different intervals ('" +
                                   source.interval + "' and '" + interval + "')");
        }
        source.symbol = symbol;
        source.interval = interval;
        source.files.push_back(file);
    }
    if (by_symbol.empty()) {
        return std::unexpected("none of the kline files is of a symbol traded here");
    }
    std::vector<ReplaySource> sources;
    for (auto& [symbol, source] : by_symbol) {
        std::sort(source.files.begin(), source.files.end(),
                  [](const auto& a, const auto& b) { return a.filename() < b.filename(); });
        sources.push_back(std::move(source));
    }
    return std::make_unique<ReplayFeed>(Key{}, std::move(config), std::move(sources), clock);
}

ReplayFeed::ReplayFeed(Key, ReplayConfig config, std::vector<ReplaySource> sources,
                       const ports::Clock& clock)
    : config_(std::move(config)), sources_(std::move(sources)), clock_(clock) {}

ReplayFeed::~ReplayFeed() {
    stop();
}

void ReplayFeed::start(OnTick on_tick, OnTime on_time) {
    std::lock_guard lock(mutex_);
    if (started_ || stopping_) {
        return;
    }
    started_ = true;
    thread_ = std::thread([this, on_tick = std::move(on_tick), on_time = std::move(on_time)] {
        run(on_tick, on_time);
    });
}

void ReplayFeed::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    // A consumer may stop the feed from inside on_tick: the thread then ends on its own.
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) {
        thread_.join();
    }
}

ReplayStats ReplayFeed::stats() const {
    return {ticks_.load(), klines_.load(), skipped_lines_.load(), passes_.load()};
}

std::string ReplayFeed::last_problem() const {
    std::lock_guard lock(mutex_);
    return last_problem_;
}

bool ReplayFeed::wait_until(std::chrono::steady_clock::time_point when) {
    std::unique_lock lock(mutex_);
    return !wake_.wait_until(lock, when, [this] { return stopping_; });
}

void ReplayFeed::skipped(std::string problem) {
    skipped_lines_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    last_problem_ = std::move(problem);
}

template <typename Call>
void ReplayFeed::deliver(Call&& call) {
    try {
        call();
    } catch (const std::exception& e) {
        std::lock_guard lock(mutex_);
        last_problem_ = std::string("the tick consumer threw: ") + e.what();
    } catch (...) {
        std::lock_guard lock(mutex_);
        last_problem_ = "the tick consumer threw";
    }
}

void ReplayFeed::run(const OnTick& on_tick, const OnTime& on_time) {
    health_ = ports::FeedHealth::kOk;
    std::int64_t offset = 0;
    for (bool first_pass = true;; first_pass = false) {
        std::vector<Cursor> cursors;
        cursors.reserve(sources_.size());
        for (const auto& source : sources_) {
            cursors.emplace_back(*this, source);
        }
        // The source whose next tick is the earliest; ties go to the first symbol by name.
        auto earliest = [&cursors]() -> Cursor* {
            Cursor* best = nullptr;
            const ports::Tick* best_tick = nullptr;
            for (auto& cursor : cursors) {
                const auto* tick = cursor.peek();
                if (tick != nullptr && (best_tick == nullptr || tick->ts_ms < best_tick->ts_ms)) {
                    best = &cursor;
                    best_tick = tick;
                }
            }
            return best;
        };
        Cursor* cursor = earliest();
        if (cursor == nullptr) {
            break;
        }
        const auto first_recorded = cursor->peek()->ts_ms;
        if (first_pass && config_.time == ReplayTime::kShiftedToNow) {
            offset = floor_to_unit(clock_.now_ms() - first_recorded);
        }
        // Each pass is paced from its own start, so a loop does not wait out the shift.
        const auto origin = std::chrono::steady_clock::now();
        auto last_recorded = first_recorded;
        for (; cursor != nullptr; cursor = earliest()) {
            auto tick = *cursor->peek();
            cursor->pop();
            last_recorded = std::max(last_recorded, tick.ts_ms);
            if (config_.speed > 0) {
                const auto due = origin + std::chrono::microseconds((tick.ts_ms - first_recorded) *
                                                                    1000 / config_.speed);
                if (!wait_until(due)) {
                    return;
                }
            } else if (std::lock_guard lock(mutex_); stopping_) {
                return;
            }
            tick.ts_ms += offset;
            deliver([&] { on_tick(tick); });
            ticks_.fetch_add(1, std::memory_order_relaxed);
        }
        if (on_time) {
            deliver([&] { on_time(last_recorded + 1 + offset); });
        }
        passes_.fetch_add(1, std::memory_order_relaxed);
        if (!config_.loop) {
            break;
        }
        offset += ceil_to_unit(last_recorded + 1 - first_recorded);
    }
    health_ = ports::FeedHealth::kFinished;
}

}  // namespace botcore::market
