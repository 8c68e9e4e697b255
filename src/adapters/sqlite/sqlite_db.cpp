#include "adapters/sqlite/sqlite_db.hpp"

namespace botcore::adapters::sqlite {

namespace {
[[noreturn]] void fail(sqlite3* db, std::string_view what) {
    throw ports::StoreUnavailable(std::string(what) + ": " + sqlite3_errmsg(db));
}
}  // namespace

Statement::~Statement() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

Statement& Statement::bind(int index, std::string_view text) {
    if (sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                          SQLITE_TRANSIENT) != SQLITE_OK) {
        fail(db_, "bind");
    }
    return *this;
}

Statement& Statement::bind(int index, std::int64_t number) {
    if (sqlite3_bind_int64(stmt_, index, number) != SQLITE_OK) {
        fail(db_, "bind");
    }
    return *this;
}

Statement& Statement::bind_null(int index) {
    if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) {
        fail(db_, "bind");
    }
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    fail(db_, "step");
}

bool Statement::execute_unique() {
    int rc = sqlite3_step(stmt_);
    while (rc == SQLITE_ROW) {
        rc = sqlite3_step(stmt_);
    }
    if (rc == SQLITE_DONE) {
        return true;
    }
    const int extended = sqlite3_extended_errcode(db_);
    if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return false;
    }
    fail(db_, "step");
}

std::string Statement::text(int column) const {
    const auto* data = sqlite3_column_text(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);
    return data == nullptr
               ? std::string{}
               : std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::int64_t Statement::integer(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Connection::Connection(const std::string& path, bool read_only) {
    const int flags =
        (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
        SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
        const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close_v2(db_);
        throw ports::StoreUnavailable("open " + path + ": " + message);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA foreign_keys = ON");
    // A larger page cache and memory-mapped reads: the hot pages of the order and position
    // indexes stay in memory instead of being read back with pread on every transaction. The
    // writer's cache is small: a commit after a B-tree page split walks the whole page cache
    // (SQLite parks a page at the lock-byte page number while it renumbers split pages, and
    // the end of the transaction then truncates the cache from there), measured in
    // docs/BENCHMARKS.md.
    exec(read_only ? "PRAGMA cache_size = -65536" : "PRAGMA cache_size = -4096");
    exec("PRAGMA mmap_size = 1073741824");
    // Statement journals (a copy of every page a statement or a savepoint of the group
    // committer changes) stay in memory instead of spilling into a temp file.
    exec("PRAGMA temp_store = MEMORY");
    if (!read_only) {
        // For a new database only. An order changes a few rows of its own user's in several
        // B-trees, each on a page of its own, and every changed page goes to the WAL and to
        // disk whole: 2 KiB pages write less per order than 4 KiB (measured in
        // docs/BENCHMARKS.md; 1 KiB measured the same as 2 KiB).
        exec("PRAGMA page_size = 2048");
        exec("PRAGMA journal_mode = WAL");
        // FULL: a commit is on disk before the caller is answered (durable across power loss,
        // not only kill -9). Group commit amortizes the fsync, and the group committer moves it
        // out of its transaction (GroupCommitter with WalSync).
        exec("PRAGMA synchronous = FULL");
        // Checkpoints run on the store's own background connection (SqliteStore), so a commit
        // never waits for the WAL to be copied into the database file.
        exec("PRAGMA wal_autocheckpoint = 0");
    }
}

Connection::~Connection() {
    for (auto& [sql, stmt] : cache_) {
        sqlite3_finalize(stmt);
    }
    sqlite3_close_v2(db_);
}

void Connection::exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        std::string message = error ? error : "unknown error";
        sqlite3_free(error);
        throw ports::StoreUnavailable(std::string("exec: ") + message);
    }
}

Statement Connection::prepare(const char* sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
            SQLITE_OK) {
            fail(db_, std::string("prepare ") + sql);
        }
        it = cache_.emplace(sql, stmt).first;
    }
    return Statement(db_, it->second);
}

Transaction::Transaction(Connection& connection) : connection_(connection) {
    connection_.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
    if (!done_) {
        sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

void Transaction::commit() {
    connection_.exec("COMMIT");
    done_ = true;
}

}  // namespace botcore::adapters::sqlite
