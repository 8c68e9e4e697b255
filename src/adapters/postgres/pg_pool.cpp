#include "adapters/postgres/pg_pool.hpp"

#include <algorithm>

#include "ports/store.hpp"

namespace botcore::adapters::postgres {

Pool::Pool(std::string url, PoolSettings settings) : url_(std::move(url)), settings_(settings) {}

std::int64_t Pool::now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

Pool::Lease Pool::acquire() {
    std::vector<std::unique_ptr<Connection>> ended;
    std::unique_lock lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + settings_.acquire_wait;
    for (;;) {
        while (!idle_.empty()) {
            auto connection = std::move(idle_.back());
            idle_.pop_back();
            if (!connection->still_open()) {
                // Ended by the server while idle: its first query would fail for nothing.
                --open_;
                ++ended_;
                ended.push_back(std::move(connection));  // closed once the lock is released
                continue;
            }
            ++in_use_;
            return Lease(*this, std::move(connection));
        }
        if (open_ < settings_.max) {
            ++open_;
            ++in_use_;
            lock.unlock();
            try {
                return Lease(*this, std::make_unique<Connection>(url_, settings_.statements));
            } catch (...) {
                lock.lock();
                --open_;
                --in_use_;
                freed_.notify_one();
                throw;
            }
        }
        if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
            open_ >= settings_.max) {
            throw ports::StoreUnavailable("no database connection became free in time");
        }
    }
}

void Pool::give_back(std::unique_ptr<Connection> connection) {
    std::vector<std::unique_ptr<Connection>> dropped;  // closed once the lock is released
    {
        std::lock_guard lock(mutex_);
        --in_use_;
        if (connection->healthy()) {
            connection->idle_since_ms = now_ms();
            idle_.push_back(std::move(connection));
        } else {
            --open_;
            if (connection->broken()) {
                // The server, or the way to it, failed under a command. The idle connections go
                // the same way; one to a server that vanished without a word would fail only
                // after its TCP timeout, under the next command. New ones are opened as needed.
                open_ -= static_cast<int>(idle_.size());
                dropped = std::move(idle_);
                idle_.clear();
            }
        }
    }
    if (dropped.empty()) {
        freed_.notify_one();
    } else {
        freed_.notify_all();  // room for as many new connections
    }
}

void Pool::warm() {
    std::vector<Lease> leases;
    while (open() < settings_.min) {
        leases.push_back(acquire());
    }
}

void Pool::close_idle() {
    std::vector<std::unique_ptr<Connection>> closing;
    {
        std::lock_guard lock(mutex_);
        const auto cutoff = now_ms() - settings_.idle.count();
        // idle_ is ordered by last use: the longest idle are first.
        while (!idle_.empty() && open_ > settings_.min && idle_.front()->idle_since_ms < cutoff) {
            closing.push_back(std::move(idle_.front()));
            idle_.erase(idle_.begin());
            --open_;
        }
    }
    // Closed outside the lock: PQfinish talks to the server.
}

int Pool::open() const {
    std::lock_guard lock(mutex_);
    return open_;
}

std::uint64_t Pool::ended() const {
    std::lock_guard lock(mutex_);
    return ended_;
}

int Pool::in_use() const {
    std::lock_guard lock(mutex_);
    return in_use_;
}

}  // namespace botcore::adapters::postgres
