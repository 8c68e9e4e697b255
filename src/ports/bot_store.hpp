// Where users' bot settings are kept (as the API's JSON document, so the store needs no
// knowledge of the settings' fields).
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace botcore::ports {

struct StoredBot {
    std::string user_id;
    std::string settings_json;
    // Also the settings' revision: each save of a user's settings stamps a later time than the
    // one it replaces.
    std::int64_t updated_ms = 0;
};

class BotStore {
  public:
    virtual ~BotStore() = default;
    // Stores what change makes of the user's stored settings (nullopt: none yet), in one
    // transaction that holds the user's settings, so concurrent changes apply one after the
    // other instead of erasing one another. change returns nullopt to store nothing (it refused
    // the change); it may run more than once (a batch tried again): the last run counts. done
    // runs once the settings are durable (or with the reason they are not).
    virtual void change_bot(
        const std::string& user_id,
        std::function<std::optional<StoredBot>(const std::optional<StoredBot>& stored)> change,
        std::function<void(std::exception_ptr)> done) = 0;
    virtual std::vector<StoredBot> all_bots() = 0;
    virtual std::optional<StoredBot> find_bot(std::string_view user_id) = 0;
    // Calls changed("") once the watch begins (read every user's settings), changed(user_id)
    // when another instance sharing the store saved the user's bot settings, and changed("")
    // again when any user's may have changed unheard (while the store could not be heard). A
    // store used by one instance makes only the first call. An empty function stops the calls.
    virtual void watch_bots(std::function<void(const std::string& user_id)> changed) {
        if (changed) {
            changed("");
        }
    }
};

}  // namespace botcore::ports
