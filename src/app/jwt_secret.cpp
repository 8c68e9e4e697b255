#include "app/jwt_secret.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "auth/password.hpp"

namespace botcore {

std::expected<std::string, std::string> load_or_create_jwt_secret(const std::string& configured,
                                                                  const std::string& data_dir) {
    if (!configured.empty()) {
        return configured;
    }
    const auto path = (std::filesystem::path(data_dir) / "jwt_secret").string();
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    // O_EXCL: of two instances starting on one data directory, one writes and both read.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        const std::string secret = auth::random_token(48);
        const bool written =
            ::write(fd, secret.data(), secret.size()) == static_cast<ssize_t>(secret.size()) &&
            ::fsync(fd) == 0;
        ::close(fd);
        if (!written) {
            return std::unexpected("cannot write " + path + ": " + std::strerror(errno));
        }
        return secret;
    }
    if (errno != EEXIST) {
        return std::unexpected("cannot create " + path + ": " + std::strerror(errno));
    }
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::string secret = text.str();
    while (!secret.empty() &&
           (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' ')) {
        secret.pop_back();
    }
    if (!in || secret.size() < 32) {
        return std::unexpected(path + " is unreadable or shorter than 32 characters");
    }
    return secret;
}

}  // namespace botcore
