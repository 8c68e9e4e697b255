// SqliteStore's BotStore half: one settings document per user in bot_settings.
#include <memory>

#include "adapters/sqlite/sqlite_store.hpp"

namespace botcore::adapters::sqlite {

void SqliteStore::save_bot(ports::StoredBot bot, std::optional<std::int64_t> replaces,
                           std::function<void(std::exception_ptr, bool saved)> done) {
    auto saved = std::make_shared<bool>(false);
    committer_->submit(
        [bot = std::move(bot), replaces, saved](Connection& c) {
            if (replaces) {
                c.prepare(
                     "UPDATE bot_settings SET settings = ?, updated_ms = ? "
                     "WHERE user_id = ? AND updated_ms = ?")
                    .bind_all(std::string_view(bot.settings_json), bot.updated_ms,
                              std::string_view(bot.user_id), *replaces)
                    .step();
            } else {
                c.prepare(
                     "INSERT INTO bot_settings (user_id, settings, updated_ms) VALUES (?, ?, ?) "
                     "ON CONFLICT (user_id) DO NOTHING")
                    .bind_all(std::string_view(bot.user_id), std::string_view(bot.settings_json),
                              bot.updated_ms)
                    .step();
            }
            *saved = sqlite3_changes64(c.handle()) == 1;
        },
        [saved, done = std::move(done)](std::exception_ptr error) {
            done(error, error == nullptr && *saved);
        });
}

std::optional<ports::StoredBot> SqliteStore::find_bot(std::string_view user_id) {
    auto connection = reader();
    auto s = connection->prepare(
        "SELECT user_id, settings, updated_ms FROM bot_settings WHERE user_id = ?");
    s.bind(1, user_id);
    if (!s.step()) {
        return std::nullopt;
    }
    return ports::StoredBot{s.text(0), s.text(1), s.integer(2)};
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
