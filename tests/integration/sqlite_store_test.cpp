// The SQLite Store against a real database file.
#include "adapters/sqlite/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "adapters/sqlite/sqlite_migrations.hpp"
#include "test_support.hpp"

namespace botcore::adapters::sqlite {
namespace {

using testing::TempDir;

class SqliteStoreTest : public ::testing::Test {
  protected:
    SqliteStoreTest() : store(dir.path(), 4) { store.migrate(1000); }

    ports::User add_user(const std::string& id, const std::string& email) {
        ports::NewUser user{
            {id, email, "name", 1000}, "hash", domain::Decimal::from_integer(10000)};
        auto created = store.create_user(user, {id, "127.0.0.1", "register", "", 1000});
        EXPECT_TRUE(created.has_value());
        return user.user;
    }

    TempDir dir;
    SqliteStore store;
};

TEST_F(SqliteStoreTest, TheNewestStoredSignalOfASymbolWins) {
    EXPECT_FALSE(store.find_analysis("BTCUSDT"));
    store.save_analysis("BTCUSDT", {2000, 9000, R"({"signal":"long"})"});
    store.save_analysis("BTCUSDT", {1000, 8000, R"({"signal":"short"})"});  // older: ignored
    store.save_analysis("ETHUSDT", {1500, 8500, R"({"signal":"neutral"})"});
    store.flush();
    const auto btc = store.find_analysis("BTCUSDT");
    ASSERT_TRUE(btc);
    EXPECT_EQ(btc->computed_ms, 2000);
    EXPECT_EQ(btc->expires_ms, 9000);
    EXPECT_EQ(btc->body, R"({"signal":"long"})");
    EXPECT_EQ(store.find_analysis("ETHUSDT")->body, R"({"signal":"neutral"})");
}

TEST_F(SqliteStoreTest, MigrationsApplyOnceAndRecordTheirVersion) {
    EXPECT_EQ(store.schema_version(), static_cast<int>(migrations().size()));
    EXPECT_TRUE(store.migrate(2000).empty());
}

TEST_F(SqliteStoreTest, CreatedUserHasAPaperAccountWithTheInitialBalance) {
    add_user("u1", "a@b.co");
    const auto book = store.load_portfolio("u1");
    ASSERT_TRUE(book.has_value());
    EXPECT_EQ(book->account.balance, domain::Decimal::from_integer(10000));
    EXPECT_EQ(book->account.initial_balance, domain::Decimal::from_integer(10000));
    const auto found = store.find_user("u1");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->email, "a@b.co");
}

TEST_F(SqliteStoreTest, DuplicateEmailIsRefusedAndCreatesNothing) {
    add_user("u1", "a@b.co");
    ports::NewUser again{{"u2", "a@b.co", "n", 1}, "h", domain::Decimal::from_integer(5)};
    EXPECT_FALSE(store.create_user(again, {"u2", "", "register", "", 1}).has_value());
    EXPECT_FALSE(store.find_user("u2").has_value());
    EXPECT_FALSE(store.load_portfolio("u2").has_value());
}

TEST_F(SqliteStoreTest, LoginStateUpdatesCountEveryConcurrentFailure) {
    add_user("u1", "a@b.co");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([this] {
            for (int i = 0; i < 25; ++i) {
                store.update_login_state("u1",
                                         [](auth::LoginState s) {
                                             ++s.failures;
                                             return s;
                                         },
                                         {});
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(store.find_credentials("a@b.co")->login.failures, 100);
}

TEST_F(SqliteStoreTest, RefreshTokenIsSingleUse) {
    add_user("u1", "a@b.co");
    store.record_login({"h1", "u1", "j1", 1000, 100000}, {"u1", "", "login", "", 1000});
    auto rotated = store.rotate_refresh_token("h1", 2000, {"h2", "", "j2", 2000, 200000});
    ASSERT_TRUE(rotated.has_value());
    EXPECT_EQ(*rotated, "u1");
    auto again = store.rotate_refresh_token("h1", 3000, {"h3", "", "j3", 3000, 300000});
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error(), ports::RotateError::kReused);
}

TEST_F(SqliteStoreTest, ReplayingAUsedRefreshTokenRevokesItsSuccessorToo) {
    add_user("u1", "a@b.co");
    store.record_login({"h1", "u1", "j1", 1000, 100000}, {"u1", "", "login", "", 1000});
    ASSERT_TRUE(store.rotate_refresh_token("h1", 2000, {"h2", "", "j2", 2000, 200000}).has_value());
    EXPECT_FALSE(
        store.rotate_refresh_token("h1", 3000, {"h3", "", "j3", 3000, 300000}).has_value());
    EXPECT_FALSE(
        store.rotate_refresh_token("h2", 4000, {"h4", "", "j4", 4000, 400000}).has_value());
}

TEST_F(SqliteStoreTest, ExpiredAndUnknownRefreshTokensAreRefused) {
    add_user("u1", "a@b.co");
    store.record_login({"h1", "u1", "j1", 1000, 5000}, {"u1", "", "login", "", 1000});
    EXPECT_EQ(store.rotate_refresh_token("h1", 5000, {"h2", "", "j2", 5000, 9000}).error(),
              ports::RotateError::kExpired);
    EXPECT_EQ(store.rotate_refresh_token("nope", 1000, {"h3", "", "j3", 1000, 9000}).error(),
              ports::RotateError::kUnknown);
}

TEST_F(SqliteStoreTest, RevokingASessionRevokesItsRefreshTokenAndListsTheJti) {
    add_user("u1", "a@b.co");
    store.record_login({"h1", "u1", "j1", 1000, 100000}, {"u1", "", "login", "", 1000});
    store.record_login({"h2", "u1", "j2", 1000, 100000}, {"u1", "", "login", "", 1000});
    store.revoke_session("u1", {"j1", 50000}, {"u1", "", "logout", "", 2000});
    EXPECT_FALSE(store.rotate_refresh_token("h1", 3000, {"h3", "", "j3", 3000, 9000}).has_value());
    EXPECT_TRUE(store.rotate_refresh_token("h2", 3000, {"h4", "", "j4", 3000, 9000}).has_value());
    const auto revoked = store.revoked_tokens(3000);
    ASSERT_EQ(revoked.size(), 1u);
    EXPECT_EQ(revoked[0].jti, "j1");
    EXPECT_TRUE(store.revoked_tokens(50000).empty());  // expired tokens need no revocation
}

TEST_F(SqliteStoreTest, AuditLogKeepsActionsNewestFirst) {
    add_user("u1", "a@b.co");
    store.append_audit({"u1", "10.0.0.1", "login_failed", "", 2000});
    store.append_audit({"u1", "10.0.0.1", "lockout", "", 3000});
    const auto log = store.audit_log("u1", 10);
    ASSERT_EQ(log.size(), 3u);
    EXPECT_EQ(log[0].action, "lockout");
    EXPECT_EQ(log[1].action, "login_failed");
    EXPECT_EQ(log[2].action, "register");
    EXPECT_EQ(log[1].ip, "10.0.0.1");
}

TEST_F(SqliteStoreTest, DataSurvivesReopening) {
    add_user("u1", "a@b.co");
    SqliteStore reopened(dir.path(), 1);
    EXPECT_TRUE(reopened.find_user("u1").has_value());
}

TEST_F(SqliteStoreTest, TableSizesCoverTheSchema) {
    const auto sizes = store.table_sizes();
    const auto has = [&](std::string_view name) {
        return std::any_of(sizes.begin(), sizes.end(),
                           [&](const auto& t) { return t.table == name; });
    };
    EXPECT_TRUE(has("users"));
    EXPECT_TRUE(has("trades"));
    EXPECT_TRUE(has("audit_logs"));
}

}  // namespace
}  // namespace botcore::adapters::sqlite

namespace botcore::adapters::sqlite {
namespace {

market::Candle candle(std::int64_t open_ms, std::int64_t close) {
    const auto c = domain::Decimal::from_integer(close);
    return {open_ms, c, c, c, c, domain::Decimal{}, true};
}

TEST_F(SqliteStoreTest, CandlesComeBackOldestFirstUpToTheLimit) {
    for (int i = 0; i < 5; ++i) {
        store.save_candle("BTCUSDT", market::Interval::k1m, candle(i * 60'000, 100 + i), {});
    }
    store.save_candle("ETHUSDT", market::Interval::k1m, candle(0, 7), {});
    store.flush();
    const auto last3 = store.candles("BTCUSDT", market::Interval::k1m, std::nullopt, 3);
    ASSERT_EQ(last3.size(), 3u);
    EXPECT_EQ(last3.front().open_ms, 2 * 60'000);
    EXPECT_EQ(last3.back().close, domain::Decimal::from_integer(104));
    const auto before = store.candles("BTCUSDT", market::Interval::k1m, 2 * 60'000, 10);
    EXPECT_EQ(before.size(), 2u);
    EXPECT_TRUE(store.candles("BTCUSDT", market::Interval::k5m, std::nullopt, 10).empty());
}

TEST_F(SqliteStoreTest, RetentionDeletesOnlyCandlesOlderThanTheCutoff) {
    store.save_candle("BTCUSDT", market::Interval::k1m, candle(1000, 1), {});
    store.save_candle("BTCUSDT", market::Interval::k1m, candle(5000, 2), {});
    store.flush();
    EXPECT_EQ(store.delete_candles_before(5000), 1);
    const auto left = store.candles("BTCUSDT", market::Interval::k1m, std::nullopt, 10);
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].open_ms, 5000);
}

}  // namespace
}  // namespace botcore::adapters::sqlite
