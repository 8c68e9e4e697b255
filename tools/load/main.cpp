// botcore-load: signs users in, holds one WebSocket per user subscribed to price channels and
// measures delivered messages/s and tick-to-client latency. See --help. For example:
//   botcore-load --url http://127.0.0.1:8080 --users 2000 --duration 30 --out load.json
//   botcore-load --no-auth --url http://127.0.0.1:8090 --users 10000 --ramp 1000  (Node peer)
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <exception>

#include "load_options.hpp"
#include "load_run.hpp"
#include "run_report.hpp"

int main(int argc, char** argv) {
    using namespace botcore::load;
    const auto epoch = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    auto options = parse_load_options(argc, argv, fmt::format("load-{}-{}", getpid(), epoch));
    if (!options) {
        return options.error();
    }
    try {
        const auto report = run_load(*options);
        print_summary(report);
        int code = report.exit_code();
        if (!options->out_file.empty()) {
            if (const auto written = write_json_summary(report, options->out_file); !written) {
                fmt::print(stderr, "{}\n", written.error());
                code = 1;
            }
        }
        return code;
    } catch (const std::exception& error) {
        fmt::print(stderr, "botcore-load: {}\n", error.what());
        return 1;
    }
}
