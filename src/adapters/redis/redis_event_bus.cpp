#include "adapters/redis/redis_event_bus.hpp"

#include <algorithm>

namespace botcore::adapters::redis {

namespace {

constexpr std::size_t kBatch = 1000;

// Stream entry ids are "<ms>-<seq>": an id that every entry added from the Redis time on comes
// after.
std::optional<std::string> redis_now_id(RedisConnection& connection) {
    const auto reply = connection.command({"TIME"});
    if (!reply || reply->type != RedisReply::Type::kArray || reply->elements.size() != 2) {
        return std::nullopt;
    }
    const auto seconds = std::stoll(reply->elements[0].text);
    const auto micros = std::stoll(reply->elements[1].text);
    // XREAD returns entries after the id given: "<now>-0" would skip an entry added in the same
    // millisecond as its first (id "<now>-0"). The last id of the millisecond before does not.
    return std::to_string(seconds * 1000 + micros / 1000 - 1) + "-18446744073709551615";
}

}  // namespace

RedisEventBus::RedisEventBus(RedisEventBusSettings settings)
    : settings_(std::move(settings)), sender_link_(settings_.endpoint, settings_.timeout) {}

RedisEventBus::~RedisEventBus() {
    stop();
}

void RedisEventBus::stop() {
    sender_.request_stop();
    reader_.request_stop();
    queue_ready_.notify_all();
    if (sender_.joinable()) {
        sender_.join();
    }
    if (reader_.joinable()) {
        reader_.join();
    }
}

std::string RedisEventBus::stream(std::string_view topic) const {
    return settings_.prefix + "bus:" + std::string(topic);
}

void RedisEventBus::subscribe(std::string_view topic, Handler handler) {
    if (handler && std::ranges::find(topics_, topic) == topics_.end()) {
        topics_.emplace_back(topic);
    }
    local_.subscribe(topic, std::move(handler));
}

void RedisEventBus::start() {
    sender_ = std::jthread([this](std::stop_token stop) { send(stop); });
    if (!topics_.empty()) {
        reader_ = std::jthread([this](std::stop_token stop) { read(stop); });
    } else {
        reader_healthy_ = true;
    }
}

void RedisEventBus::publish(std::string_view topic, std::string_view key, std::string body) {
    {
        std::lock_guard lock(queue_mutex_);
        if (queue_.size() >= settings_.max_queued) {
            queue_.pop_front();
            dropped_.fetch_add(1, std::memory_order_relaxed);
        }
        queue_.push_back(Outgoing{std::string(topic), std::string(key), body});
    }
    queue_ready_.notify_one();
    local_.publish(topic, key, std::move(body));
}

ports::ServiceHealth RedisEventBus::health() const {
    return sender_link_.healthy() && reader_healthy_.load(std::memory_order_relaxed)
               ? ports::ServiceHealth::kOk
               : ports::ServiceHealth::kFailing;
}

void RedisEventBus::send(std::stop_token stop) {
    const auto max_length = std::to_string(settings_.max_length);
    const RedisCommand ping{"PING"};
    (void)sender_link_.command(ping);  // health from the start, not from the first message
    while (!stop.stop_requested()) {
        std::vector<Outgoing> batch;
        {
            std::unique_lock lock(queue_mutex_);
            // Woken by a message; every second regardless, to notice Redis coming back.
            if (!queue_ready_.wait_for(lock, stop, std::chrono::seconds(1),
                                       [this] { return !queue_.empty(); })) {
                lock.unlock();
                (void)sender_link_.command(ping);
                continue;
            }
            const auto take = std::min(queue_.size(), kBatch);
            batch.assign(std::make_move_iterator(queue_.begin()),
                         std::make_move_iterator(queue_.begin() + static_cast<long>(take)));
            queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(take));
        }
        std::vector<RedisCommand> commands;
        commands.reserve(batch.size());
        for (const auto& message : batch) {
            commands.push_back({"XADD", stream(message.topic), "MAXLEN", "~", max_length, "*", "o",
                                settings_.origin, "k", message.key, "b", message.body});
        }
        if (sender_link_.pipeline(commands)) {
            continue;
        }
        // Back in front, in order, to be sent when Redis answers again (a retry may repeat a
        // message Redis took before failing).
        {
            std::lock_guard lock(queue_mutex_);
            for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
                queue_.push_front(std::move(*it));
            }
            while (queue_.size() > settings_.max_queued) {
                queue_.pop_front();
                dropped_.fetch_add(1, std::memory_order_relaxed);
            }
        }
        std::unique_lock lock(queue_mutex_);
        queue_ready_.wait_for(lock, stop, std::chrono::milliseconds(500), [] { return false; });
    }
}

bool RedisEventBus::read_once(RedisConnection& connection,
                              std::map<std::string, std::string>& last_ids) {
    std::vector<std::string> command{
        "XREAD",  "COUNT", std::to_string(kBatch), "BLOCK", std::to_string(settings_.block.count()),
        "STREAMS"};
    for (const auto& topic : topics_) {
        command.push_back(stream(topic));
    }
    for (const auto& topic : topics_) {
        command.push_back(last_ids[topic]);
    }
    const auto reply = connection.command(command);
    if (!reply || reply->type == RedisReply::Type::kError) {
        return false;
    }
    // nil: nothing new within the block time. Else [[stream, [[id, [field, value...]]...]]...]
    for (const auto& per_stream : reply->elements) {
        if (per_stream.elements.size() != 2) {
            continue;
        }
        const auto& name = per_stream.elements[0].text;
        const auto topic = std::ranges::find_if(
            topics_, [&](const std::string& candidate) { return stream(candidate) == name; });
        if (topic == topics_.end()) {
            continue;
        }
        const auto handler = local_.handler(*topic);
        for (const auto& entry : per_stream.elements[1].elements) {
            if (entry.elements.size() != 2) {
                continue;
            }
            last_ids[*topic] = entry.elements[0].text;
            std::string_view origin, key, body;
            const auto& fields = entry.elements[1].elements;
            for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
                const auto& field = fields[i].text;
                if (field == "o") {
                    origin = fields[i + 1].text;
                } else if (field == "k") {
                    key = fields[i + 1].text;
                } else if (field == "b") {
                    body = fields[i + 1].text;
                }
            }
            if (origin != settings_.origin && handler) {
                (*handler)(key, body);
            }
        }
    }
    return true;
}

void RedisEventBus::read(std::stop_token stop) {
    std::map<std::string, std::string> last_ids;
    std::optional<RedisConnection> connection;
    while (!stop.stop_requested()) {
        if (!connection || connection->broken()) {
            connection.reset();
            auto opened = RedisConnection::open(settings_.endpoint, settings_.timeout);
            if (opened) {
                opened->set_timeout(settings_.timeout + settings_.block);
                connection.emplace(std::move(*opened));
                if (last_ids.empty()) {
                    if (const auto now = redis_now_id(*connection)) {
                        for (const auto& topic : topics_) {
                            last_ids[topic] = *now;
                        }
                    } else {
                        connection.reset();
                    }
                }
            }
            // Healthy from the connection on, not from the end of the first blocking read.
            reader_healthy_.store(connection.has_value(), std::memory_order_relaxed);
        }
        const bool ok = connection && read_once(*connection, last_ids);
        reader_healthy_.store(ok, std::memory_order_relaxed);
        if (!ok) {
            connection.reset();
            std::mutex idle;
            std::unique_lock lock(idle);
            std::condition_variable_any pause;
            pause.wait_for(lock, stop, std::chrono::milliseconds(500), [] { return false; });
        }
    }
}

}  // namespace botcore::adapters::redis
