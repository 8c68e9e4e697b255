// Registers and logs in the load users, and fetches the symbol list, over keep-alive HTTP/1.1.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <expected>
#include <string>
#include <vector>

#include "run_stats.hpp"
#include "server_address.hpp"

namespace botcore::load {

struct SignInPlan {
    int users = 0;
    int concurrency = 1;
    std::string email_prefix;
    std::string password;
    std::chrono::steady_clock::time_point deadline;
};

// User i is <prefix>-<i>@load.test: registered (409 means it exists) then logged in. Returns
// the access token of each user, empty where that user failed (the reason goes to
// stats.sign_in_failures). Runs on the caller's executor, which must be single-threaded.
boost::asio::awaitable<std::vector<std::string>> sign_in_users(const ServerAddress& server,
                                                               const SignInPlan& plan,
                                                               RunStats& stats);

// Names from GET /api/market/symbols.
boost::asio::awaitable<std::expected<std::vector<std::string>, std::string>> fetch_symbols(
    const ServerAddress& server, const std::string& access_token,
    std::chrono::steady_clock::time_point deadline);

}  // namespace botcore::load
