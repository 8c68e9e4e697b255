#include "adapters/sqlite/wal_sync.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ports/store.hpp"

namespace botcore::adapters::sqlite {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
    throw ports::StoreUnavailable(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

WalSync::WalSync(const std::string& database_path)
    : wal_path_(database_path + "-wal"),
      directory_(std::filesystem::path(database_path).parent_path().string()) {}

WalSync::~WalSync() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

void WalSync::open_wal() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    const int fd = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail("cannot open", wal_path_);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        ::close(fd);
        fail("cannot stat", wal_path_);
    }
    fd_ = fd;
    inode_ = st.st_ino;
    // A new WAL file is durable only once its directory entry is.
    const int dir =
        ::open(directory_.empty() ? "." : directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
        fail("cannot open", directory_);
    }
    const bool synced = ::fsync(dir) == 0;
    ::close(dir);
    if (!synced) {
        fail("cannot fsync", directory_);
    }
}

void WalSync::operator()() {
    // SQLite keeps one WAL file while a connection is open, but deletes it when the last one
    // closes; a descriptor of a deleted file would sync nothing that matters.
    struct stat st {};
    if (fd_ < 0 || ::stat(wal_path_.c_str(), &st) != 0 || st.st_ino != inode_) {
        open_wal();
    }
    if (::fdatasync(fd_) != 0) {
        fail("cannot fdatasync", wal_path_);
    }
}

}  // namespace botcore::adapters::sqlite
