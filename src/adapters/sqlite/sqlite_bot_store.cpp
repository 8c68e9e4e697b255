// SqliteStore's BotStore half: one settings document per user in bot_settings.
#include "adapters/sqlite/sqlite_store.hpp"

namespace botcore::adapters::sqlite {
namespace {

std::optional<ports::StoredBot> read_bot(Connection& c, std::string_view user_id) {
    auto s = c.prepare("SELECT user_id, settings, updated_ms FROM bot_settings WHERE user_id = ?");
    s.bind(1, user_id);
    if (!s.step()) {
        return std::nullopt;
    }
    return ports::StoredBot{s.text(0), s.text(1), s.integer(2)};
}

}  // namespace

void SqliteStore::change_bot(
    const std::string& user_id,
    std::function<std::optional<ports::StoredBot>(const std::optional<ports::StoredBot>& stored)>
        change,
    std::function<void(std::exception_ptr)> done) {
    // The writer's transaction: changes of one batch see one another's, in turn.
    committer_->submit(
        [user_id, change = std::move(change)](Connection& c) {
            const auto bot = change(read_bot(c, user_id));
            if (!bot) {
                return;
            }
            c.prepare(
                 "INSERT INTO bot_settings (user_id, settings, updated_ms) VALUES (?, ?, ?) "
                 "ON CONFLICT (user_id) DO UPDATE SET settings = excluded.settings, "
                 "updated_ms = excluded.updated_ms")
                .bind_all(std::string_view(user_id), std::string_view(bot->settings_json),
                          bot->updated_ms)
                .step();
        },
        std::move(done));
}

std::optional<ports::StoredBot> SqliteStore::find_bot(std::string_view user_id) {
    auto connection = reader();
    return read_bot(*connection, user_id);
}

std::vector<ports::StoredBot> SqliteStore::all_bots() {
    auto connection = reader();
    auto s = connection->prepare("SELECT user_id, settings, updated_ms FROM bot_settings");
    std::vector<ports::StoredBot> out;
    while (s.step()) {
        out.push_back({std::string(s.text(0)), std::string(s.text(1)), s.integer(2)});
    }
    return out;
}

}  // namespace botcore::adapters::sqlite
