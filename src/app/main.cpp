// botcore: the Bot Core server and its operator commands.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>

#include "app/commands.hpp"
#include "app/config.hpp"
#include "version.hpp"

namespace {

struct CommonFlags {
    std::optional<std::string> config_file;
    std::optional<std::string> listen;
    std::optional<std::string> data_dir;

    void add_to(CLI::App& command, bool with_listen) {
        command.add_option("--config", config_file, "TOML configuration file");
        if (with_listen) {
            command.add_option("--listen", listen, "HOST:PORT to listen on (server.listen)");
        }
        command.add_option("--data-dir", data_dir,
                           "directory of the embedded store (store.data_dir)");
    }

    botcore::ConfigOverrides overrides() const {
        botcore::ConfigOverrides flags;
        if (listen) {
            flags["server.listen"] = *listen;
        }
        if (data_dir) {
            flags["store.data_dir"] = *data_dir;
        }
        return flags;
    }
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Bot Core: a multi-user paper-trading platform server"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("botcore ") + botcore::kVersion);

    CommonFlags flags;
    auto* serve = app.add_subcommand("serve", "run the server until SIGTERM/SIGINT");
    flags.add_to(*serve, true);
    auto* migrate = app.add_subcommand("migrate", "apply pending schema migrations and exit");
    flags.add_to(*migrate, false);
    auto* version = app.add_subcommand("version", "print the version");
    auto* config = app.add_subcommand("config", "configuration tools");
    config->require_subcommand(1);
    auto* check = config->add_subcommand(
        "check", "print the effective configuration and where each value came from");
    flags.add_to(*check, true);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return botcore::kExitUsage;
    }

    if (version->parsed()) {
        std::printf("botcore %s\n", botcore::kVersion);
        return botcore::kExitOk;
    }
    auto loaded = botcore::load_config(flags.config_file, flags.overrides());
    if (!loaded) {
        std::fprintf(stderr, "botcore: invalid configuration: %s\n",
                     loaded.error().message.c_str());
        return botcore::kExitUsage;
    }
    if (check->parsed()) {
        return botcore::run_config_check(*loaded);
    }
    if (migrate->parsed()) {
        return botcore::run_migrate(loaded->config);
    }
    return botcore::run_serve(loaded->config);
}
