// Command line of botcore-load.
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "target_url.hpp"

namespace botcore::load {

struct LoadOptions {
    std::string url = "http://127.0.0.1:8080";
    TargetUrl target;
    int users = 100;
    double ramp_per_second = 500;
    int symbols_per_user = 2;
    double duration_s = 30;
    double warmup_s = 5;
    int http_concurrency = 16;
    std::string email_prefix;
    std::string password = "load-test-password-2024";
    bool no_auth = false;
    std::vector<std::string> symbols;  // empty: ask the server (or the built-in list with no_auth)
    int threads = 1;
    std::string out_file;
    double max_seconds = 600;
};

// The options, or the exit code to leave with: 0 after --help, 2 on bad usage (the reason
// has been printed).
std::expected<LoadOptions, int> parse_load_options(int argc, char** argv,
                                                   std::string default_email_prefix);

}  // namespace botcore::load
