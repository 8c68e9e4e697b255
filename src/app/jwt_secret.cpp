#include "app/jwt_secret.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "auth/password.hpp"

namespace botcore {

namespace {

std::expected<std::string, std::string> read_secret(const std::string& path) {
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

}  // namespace

std::expected<std::string, std::string> load_or_create_jwt_secret(const std::string& configured,
                                                                  const std::string& data_dir) {
    if (!configured.empty()) {
        return configured;
    }
    const auto path = (std::filesystem::path(data_dir) / "jwt_secret").string();
    // The usual start: nothing is written (the directory may be read-only).
    if (::access(path.c_str(), F_OK) == 0) {
        return read_secret(path);
    }
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    // Written whole under a name of its own, then linked into place: of two instances starting
    // on one data directory, one secret wins and neither reads a file still being written.
    std::string staged = path + ".new.XXXXXX";
    const int fd = ::mkostemp(staged.data(), O_CLOEXEC);  // mode 0600
    if (fd < 0) {
        return std::unexpected("cannot create " + staged + ": " + std::strerror(errno));
    }
    const std::string fresh = auth::random_token(48);
    errno = 0;
    const bool written =
        ::write(fd, fresh.data(), fresh.size()) == static_cast<ssize_t>(fresh.size()) &&
        ::fsync(fd) == 0;
    const int write_error = errno != 0 ? errno : EIO;  // a short write sets none
    ::close(fd);
    if (!written) {
        ::unlink(staged.c_str());
        return std::unexpected("cannot write " + staged + ": " + std::strerror(write_error));
    }
    const bool linked = ::link(staged.c_str(), path.c_str()) == 0;
    const int link_error = errno;
    ::unlink(staged.c_str());
    if (linked) {
        // The new name is durable too: a secret lost in a crash would void every token.
        if (const int dir = ::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            dir >= 0) {
            ::fsync(dir);
            ::close(dir);
        }
        return fresh;
    }
    if (link_error != EEXIST) {
        return std::unexpected("cannot create " + path + ": " + std::strerror(link_error));
    }
    return read_secret(path);
}

}  // namespace botcore
