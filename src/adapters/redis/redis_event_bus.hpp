// The event bus across instances on Redis Streams, one stream per topic, trimmed to about
// `max_length` entries. publish() hands the message to this instance's handler at once and
// queues it for a sender thread, which appends the queue to the streams in one round trip; a
// reader thread follows the streams and hands every other instance's messages to the handlers.
// While Redis is away, queued messages wait (the oldest dropped beyond `max_queued`) and are sent
// when it returns; the reader resumes after the last entry it saw.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <thread>

#include "adapters/inproc/local_event_bus.hpp"
#include "adapters/redis/redis_link.hpp"
#include "ports/event_bus.hpp"

namespace botcore::adapters::redis {

struct RedisEventBusSettings {
    RedisEndpoint endpoint;
    std::string prefix = "botcore:";
    std::string origin;  // this instance's id, unique in the cluster
    std::int64_t max_length = 100'000;
    std::size_t max_queued = 100'000;
    std::chrono::milliseconds timeout{500};
    std::chrono::milliseconds block{500};  // how long one read waits for new entries
};

class RedisEventBus final : public ports::EventBus {
  public:
    explicit RedisEventBus(RedisEventBusSettings settings);
    ~RedisEventBus() override;
    RedisEventBus(const RedisEventBus&) = delete;
    RedisEventBus& operator=(const RedisEventBus&) = delete;

    void publish(std::string_view topic, std::string_view key, std::string body) override;
    // Topics subscribed before start() are read from Redis.
    void subscribe(std::string_view topic, Handler handler) override;
    bool crosses_instances() const override { return true; }
    ports::ServiceHealth health() const override;

    // Starts following the subscribed topics from now on.
    void start();
    // Stops both threads (waiting for them): no handler runs after it returns. Idempotent.
    void stop();
    std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

  private:
    struct Outgoing {
        std::string topic;
        std::string key;
        std::string body;
    };
    std::string stream(std::string_view topic) const;
    void send(std::stop_token stop);
    void read(std::stop_token stop);
    // Reads once from every stream; false when Redis failed.
    bool read_once(RedisConnection& connection, std::map<std::string, std::string>& last_ids);

    RedisEventBusSettings settings_;
    inproc::LocalEventBus local_;
    std::vector<std::string> topics_;
    RedisLink sender_link_;

    std::mutex queue_mutex_;
    std::condition_variable_any queue_ready_;
    std::deque<Outgoing> queue_;
    std::atomic<std::uint64_t> dropped_{0};
    std::atomic<bool> reader_healthy_{false};

    std::jthread sender_;
    std::jthread reader_;
};

}  // namespace botcore::adapters::redis
