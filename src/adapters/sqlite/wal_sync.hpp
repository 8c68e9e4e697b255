// Makes a SQLite database's write-ahead log durable from outside the connection that writes it:
// fdatasync on a descriptor of the WAL file of our own. The group committer commits with
// synchronous = NORMAL (frames written, not flushed) and runs this before telling callers, so
// one batch's flush overlaps the next batch's writes.
#pragma once

#include <sys/types.h>

#include <string>

namespace botcore::adapters::sqlite {

class WalSync {
  public:
    explicit WalSync(const std::string& database_path);
    ~WalSync();
    WalSync(const WalSync&) = delete;
    WalSync& operator=(const WalSync&) = delete;

    // Everything written to the WAL before the call is on disk when it returns. Throws
    // ports::StoreUnavailable when it cannot be.
    void operator()();

  private:
    void open_wal();

    std::string wal_path_;
    std::string directory_;
    int fd_ = -1;
    ino_t inode_ = 0;
};

}  // namespace botcore::adapters::sqlite
