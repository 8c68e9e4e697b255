// Every Store behaviour, on every engine: the same tests run against SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "adapters/sqlite/sqlite_migrations.hpp"
#include "store_engines.hpp"

namespace botcore::testing {
namespace {

using domain::Decimal;

class StoreConformance : public EngineTest {
  protected:
    ports::StoreEngine& store() { return engine_->store(); }

    ports::User add_user(const std::string& id, const std::string& email) {
        ports::NewUser user{{id, email, "name", 1000}, "hash", Decimal::from_integer(10000)};
        auto created = store().create_user(user, {id, "127.0.0.1", "register", "", 1000});
        EXPECT_TRUE(created.has_value());
        return user.user;
    }

    // Commits on the book's current revision and waits for the outcome (nullptr: committed).
    std::exception_ptr commit(ports::TradingWrite write) {
        write.revision = store().load_portfolio(write.account.user_id)->revision;
        return commit_as_is(std::move(write));
    }
    std::exception_ptr commit_as_is(ports::TradingWrite write) {
        std::promise<std::exception_ptr> outcome;
        store().commit(std::move(write),
                       [&outcome](std::exception_ptr e) { outcome.set_value(e); });
        return outcome.get_future().get();
    }
};

domain::Order order(const std::string& user, const std::string& id, std::int64_t ms,
                    domain::OrderStatus status = domain::OrderStatus::kFilled) {
    domain::Order o;
    o.id = id;
    o.user_id = user;
    o.symbol = "BTCUSDT";
    o.side = domain::Side::kBuy;
    o.type = domain::OrderType::kLimit;
    o.status = status;
    o.quantity = Decimal::from_units(12'345'678);
    o.price = Decimal::from_integer(50'000);
    o.leverage = 10;
    o.reduce_only = true;
    o.filled_quantity = status == domain::OrderStatus::kFilled ? o.quantity : Decimal{};
    o.average_price = o.price;
    o.fees = Decimal::from_units(987);
    o.stop_loss = Decimal::from_integer(45'000);
    o.trailing_stop_pct = Decimal::from_units(150'000'000);
    o.reserved_margin = Decimal::from_units(5);
    o.created_ms = ms;
    o.updated_ms = ms;
    return o;
}

domain::Position position(const std::string& user, const std::string& symbol) {
    domain::Position p;
    p.user_id = user;
    p.symbol = symbol;
    p.side = domain::PositionSide::kShort;
    p.quantity = Decimal::from_units(3);
    p.entry_price = Decimal::from_integer(2000);
    p.leverage = 125;
    p.margin = Decimal::from_units(48);
    p.take_profit = Decimal::from_integer(1500);
    p.trailing_anchor = Decimal::from_integer(1990);
    p.trade_id = "pos-" + symbol;
    p.open_fees = Decimal::from_units(2);
    p.last_funding_period = 7;
    p.opened_ms = 1000;
    p.updated_ms = 2000;
    return p;
}

domain::Trade trade(const std::string& user, const std::string& id, std::int64_t closed_ms,
                    const std::string& symbol = "BTCUSDT") {
    domain::Trade t;
    t.id = id;
    t.user_id = user;
    t.position_id = "pos-" + id;
    t.symbol = symbol;
    t.side = domain::PositionSide::kLong;
    t.quantity = Decimal::from_integer(1);
    t.entry_price = Decimal::from_integer(100);
    t.exit_price = Decimal::from_integer(110);
    t.leverage = 5;
    t.realized_pnl = Decimal::from_integer(-10);
    t.fees = Decimal::from_units(44);
    t.close_reason = domain::CloseReason::kStopLoss;
    t.opened_ms = 500;
    t.closed_ms = closed_ms;
    return t;
}

ports::TradingWrite write_of(const std::string& user, domain::Changes changes) {
    ports::TradingWrite write;
    write.account.user_id = user;
    write.changes = std::move(changes);
    return write;
}

market::Candle candle(std::int64_t open_ms, std::int64_t close) {
    const auto c = Decimal::from_integer(close);
    return {open_ms, c, c, c, c, Decimal::from_units(17), true};
}

TEST_P(StoreConformance, MigrationsApplyOnceAndRecordTheirVersion) {
    // Both engines are at the same schema version.
    EXPECT_EQ(store().schema_version(), static_cast<int>(adapters::sqlite::migrations().size()));
    EXPECT_EQ(store().known_schema_version(), store().schema_version());
    EXPECT_TRUE(store().migrate(2000).empty());
}

TEST_P(StoreConformance, CreatedUserHasAPaperAccountWithTheInitialBalance) {
    add_user("u1", "a@b.co");
    const auto book = store().load_portfolio("u1");
    ASSERT_TRUE(book.has_value());
    EXPECT_EQ(book->account.balance, Decimal::from_integer(10000));
    EXPECT_EQ(book->account.initial_balance, Decimal::from_integer(10000));
    EXPECT_EQ(book->account.currency, "USDT");
    EXPECT_EQ(book->account.taker_fee_rate, Decimal::from_units(40000));
    EXPECT_TRUE(book->positions.empty());
    const auto found = store().find_user("u1");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->email, "a@b.co");
    EXPECT_FALSE(store().load_portfolio("nobody").has_value());
}

TEST_P(StoreConformance, DuplicateEmailIsRefusedAndCreatesNothing) {
    add_user("u1", "a@b.co");
    ports::NewUser again{{"u2", "a@b.co", "n", 1}, "h", Decimal::from_integer(5)};
    EXPECT_FALSE(store().create_user(again, {"u2", "", "register", "", 1}).has_value());
    EXPECT_FALSE(store().find_user("u2").has_value());
    EXPECT_FALSE(store().load_portfolio("u2").has_value());
    // The store still works after the refused insert.
    add_user("u3", "c@d.co");
}

TEST_P(StoreConformance, LoginStateUpdatesCountEveryConcurrentFailure) {
    add_user("u1", "a@b.co");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([this] {
            for (int i = 0; i < 25; ++i) {
                store().update_login_state("u1",
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
    EXPECT_EQ(store().find_credentials("a@b.co")->login.failures, 100);
}

TEST_P(StoreConformance, LoginResetsTheFailureCount) {
    add_user("u1", "a@b.co");
    store().update_login_state("u1",
                               [](auth::LoginState) {
                                   return auth::LoginState{3, 10, 20};
                               },
                               {});
    EXPECT_EQ(store().find_credentials("a@b.co")->login.locked_until_ms, 20);
    store().record_login({"h1", "u1", "j1", 1000, 100000}, {"u1", "", "login", "", 1000});
    const auto credentials = store().find_credentials("a@b.co");
    EXPECT_EQ(credentials->login.failures, 0);
    EXPECT_EQ(credentials->login.locked_until_ms, 0);
    EXPECT_EQ(credentials->password_hash, "hash");
}

TEST_P(StoreConformance, RefreshTokenIsSingleUse) {
    add_user("u1", "a@b.co");
    store().record_login({"h1", "u1", "j1", 1000, 100000}, {"u1", "", "login", "", 1000});
    auto rotated = store().rotate_refresh_token("h1", 2000, {"h2", "", "j2", 2000, 200000});
    ASSERT_TRUE(rotated.has_value());
    EXPECT_EQ(*rotated, "u1");
    auto again = store().rotate_refresh_token("h1", 3000, {"h3", "", "j3", 3000, 300000});
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error(), ports::RotateError::kReused);
}

TEST_P(StoreConformance, ConcurrentRotationsOfOneTokenSucceedOnce) {
    add_user("u1", "a@b.co");
    store().record_login({"h1", "u1", "j1", 1000, 100000}, {"u1", "", "login", "", 1000});
    std::atomic<int> rotated{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([this, t, &rotated] {
            const auto name = std::to_string(t);
            if (store().rotate_refresh_token("h1", 2000,
                                             {"n" + name, "", "j" + name, 2000, 9000})) {
                ++rotated;
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(rotated.load(), 1);
}

TEST_P(StoreConformance, ReplayingAUsedRefreshTokenRevokesItsSuccessorToo) {
    add_user("u1", "a@b.co");
    store().record_login({"h1", "u1", "j1", 1000, 100000}, {"u1", "", "login", "", 1000});
    ASSERT_TRUE(
        store().rotate_refresh_token("h1", 2000, {"h2", "", "j2", 2000, 200000}).has_value());
    EXPECT_FALSE(
        store().rotate_refresh_token("h1", 3000, {"h3", "", "j3", 3000, 300000}).has_value());
    EXPECT_EQ(store().rotate_refresh_token("h2", 4000, {"h4", "", "j4", 4000, 400000}).error(),
              ports::RotateError::kRevoked);
}

TEST_P(StoreConformance, ExpiredAndUnknownRefreshTokensAreRefused) {
    add_user("u1", "a@b.co");
    store().record_login({"h1", "u1", "j1", 1000, 5000}, {"u1", "", "login", "", 1000});
    EXPECT_EQ(store().rotate_refresh_token("h1", 5000, {"h2", "", "j2", 5000, 9000}).error(),
              ports::RotateError::kExpired);
    EXPECT_EQ(store().rotate_refresh_token("nope", 1000, {"h3", "", "j3", 1000, 9000}).error(),
              ports::RotateError::kUnknown);
}

TEST_P(StoreConformance, RevokingASessionRevokesItsRefreshTokenAndListsTheJti) {
    add_user("u1", "a@b.co");
    store().record_login({"h1", "u1", "j1", 1000, 100000}, {"u1", "", "login", "", 1000});
    store().record_login({"h2", "u1", "j2", 1000, 100000}, {"u1", "", "login", "", 1000});
    store().revoke_session("u1", {"j1", 50000}, {"u1", "", "logout", "", 2000});
    store().revoke_session("u1", {"j1", 50000}, {"u1", "", "logout", "", 2100});  // twice: once
    EXPECT_FALSE(
        store().rotate_refresh_token("h1", 3000, {"h3", "", "j3", 3000, 9000}).has_value());
    EXPECT_TRUE(store().rotate_refresh_token("h2", 3000, {"h4", "", "j4", 3000, 9000}).has_value());
    const auto revoked = store().revoked_tokens(3000);
    ASSERT_EQ(revoked.size(), 1u);
    EXPECT_EQ(revoked[0].jti, "j1");
    EXPECT_TRUE(store().revoked_tokens(50000).empty());  // expired tokens need no revocation
}

TEST_P(StoreConformance, ChangingThePasswordRevokesEveryRefreshToken) {
    add_user("u1", "a@b.co");
    store().record_login({"h1", "u1", "j1", 1000, 100000}, {"u1", "", "login", "", 1000});
    store().change_password("u1", "new-hash", {"u1", "", "password_change", "", 2000});
    EXPECT_EQ(store().find_credentials("a@b.co")->password_hash, "new-hash");
    EXPECT_EQ(store().rotate_refresh_token("h1", 3000, {"h2", "", "j2", 3000, 9000}).error(),
              ports::RotateError::kRevoked);
}

TEST_P(StoreConformance, AuditLogKeepsActionsNewestFirst) {
    add_user("u1", "a@b.co");
    store().append_audit({"u1", "10.0.0.1", "login_failed", "", 2000});
    store().append_audit({"u1", "10.0.0.1", "lockout", "", 3000});
    store().append_audit({"", "10.0.0.2", "login_failed", "unknown email", 3500});
    const auto log = store().audit_log("u1", 10);
    ASSERT_EQ(log.size(), 3u);
    EXPECT_EQ(log[0].action, "lockout");
    EXPECT_EQ(log[1].action, "login_failed");
    EXPECT_EQ(log[2].action, "register");
    EXPECT_EQ(log[1].ip, "10.0.0.1");
    EXPECT_EQ(store().audit_log("u1", 1).size(), 1u);
}

TEST_P(StoreConformance, DataIsSeenByASecondStoreOnTheSameData) {
    add_user("u1", "a@b.co");
    auto other = engine_->open_again();
    EXPECT_TRUE(other->find_user("u1").has_value());
    EXPECT_EQ(other->schema_version(), store().schema_version());
}

TEST_P(StoreConformance, TableSizesCoverTheSchema) {
    const auto sizes = store().table_sizes();
    const auto has = [&](std::string_view name) {
        return std::any_of(sizes.begin(), sizes.end(),
                           [&](const auto& t) { return t.table == name; });
    };
    EXPECT_TRUE(has("users"));
    EXPECT_TRUE(has("trades"));
    EXPECT_TRUE(has("audit_logs"));
    EXPECT_TRUE(store().ping());
}

TEST_P(StoreConformance, ACommittedBookLoadsBackExactly) {
    add_user("u1", "a@b.co");
    domain::Changes changes;
    auto resting = order("u1", "o1", 1000, domain::OrderStatus::kOpen);
    resting.client_order_id = "client-1";
    resting.average_price.reset();
    changes.orders.push_back(resting);
    changes.positions.push_back(position("u1", "ETHUSDT"));
    changes.positions.push_back(position("u1", "SOLUSDT"));
    changes.account_changed = true;
    auto write = write_of("u1", changes);
    write.account = store().load_portfolio("u1")->account;
    write.account.balance = Decimal::from_units(123'456'789'012);
    write.account.realized_pnl = Decimal::from_units(-5);
    write.account.fees_paid = Decimal::from_units(7);
    write.account.funding_paid = Decimal::from_units(-3);
    ASSERT_EQ(commit(write), nullptr);

    const auto book = store().load_portfolio("u1");
    ASSERT_TRUE(book.has_value());
    EXPECT_EQ(book->account, write.account);
    ASSERT_EQ(book->positions.size(), 2u);
    EXPECT_EQ(book->positions.at("ETHUSDT"), position("u1", "ETHUSDT"));
    ASSERT_EQ(book->open_orders.size(), 1u);
    EXPECT_EQ(book->open_orders[0], resting);
    EXPECT_EQ(store().find_order_by_client_id("u1", "client-1"), resting);
    EXPECT_EQ(store().users_with_open_books(), std::vector<std::string>{"u1"});
    EXPECT_EQ(store().held_symbols(),
              (std::vector<std::string>{"BTCUSDT", "ETHUSDT", "SOLUSDT"}));  // the order's too
    EXPECT_EQ(store().open_positions(), 2);
}

TEST_P(StoreConformance, AFilledOrderKeepsItsFillAndLeavesTheOpenBook) {
    add_user("u1", "a@b.co");
    ASSERT_EQ(
        commit(write_of("u1", {.orders = {order("u1", "o1", 1000, domain::OrderStatus::kOpen)}})),
        nullptr);
    auto filled = order("u1", "o1", 1000);
    filled.updated_ms = 3000;
    const domain::Fill fill{"o1",
                            "BTCUSDT",
                            domain::Side::kBuy,
                            filled.filled_quantity,
                            *filled.average_price,
                            filled.fees,
                            domain::Liquidity::kMaker,
                            3000};
    domain::Changes changes;
    changes.orders.push_back(filled);
    changes.fills.push_back(fill);
    changes.positions.push_back(position("u1", "BTCUSDT"));
    changes.closed_positions.push_back("ETHUSDT");  // none open: deleting nothing is fine
    ASSERT_EQ(commit(write_of("u1", changes)), nullptr);

    EXPECT_EQ(store().find_order("u1", "o1"), filled);
    EXPECT_EQ(store().fills("u1", "o1"), std::vector<domain::Fill>{fill});
    EXPECT_TRUE(store().load_portfolio("u1")->open_orders.empty());
    // Closing the position removes it.
    ASSERT_EQ(commit(write_of("u1", {.closed_positions = {"BTCUSDT"}})), nullptr);
    EXPECT_TRUE(store().load_portfolio("u1")->positions.empty());
    EXPECT_TRUE(store().users_with_open_books().empty());
    EXPECT_TRUE(store().held_symbols().empty());
    EXPECT_EQ(store().open_positions(), 0);
    // Opened again: the new position, nothing of the old.
    auto again = position("u1", "BTCUSDT");
    again.side = domain::PositionSide::kLong;
    again.quantity = Decimal::from_units(9);
    again.take_profit.reset();
    again.trade_id = "pos-again";
    again.opened_ms = 5000;
    again.updated_ms = 5000;
    ASSERT_EQ(commit(write_of("u1", {.positions = {again}})), nullptr);
    EXPECT_EQ(store().load_portfolio("u1")->positions.at("BTCUSDT"), again);
    EXPECT_EQ(store().users_with_open_books(), std::vector<std::string>{"u1"});
    EXPECT_EQ(store().held_symbols(), std::vector<std::string>{"BTCUSDT"});
    EXPECT_EQ(store().open_positions(), 1);
}

// A new order is inserted, never written over one that exists: a clash of ids fails that write
// alone, whatever else is committed with it.
TEST_P(StoreConformance, ANewOrderWhoseIdIsTakenFailsAloneAndChangesNothing) {
    add_user("u1", "a@b.co");
    add_user("u2", "c@d.co");
    const auto first = order("u1", "o1", 1000);
    ASSERT_EQ(commit(write_of("u1", {.orders = {first}, .created_orders = {"o1"}})), nullptr);

    auto clash = order("u1", "o1", 2000, domain::OrderStatus::kOpen);
    auto duplicate = write_of("u1", {.orders = {clash}, .created_orders = {"o1"}});
    duplicate.revision = 1;
    std::promise<std::exception_ptr> duplicate_outcome;
    std::promise<std::exception_ptr> other_outcome;
    store().commit(duplicate, [&](std::exception_ptr e) { duplicate_outcome.set_value(e); });
    store().commit(write_of("u2", {.orders = {order("u2", "o9", 1000)}, .created_orders = {"o9"}}),
                   [&](std::exception_ptr e) { other_outcome.set_value(e); });
    EXPECT_NE(duplicate_outcome.get_future().get(), nullptr);
    EXPECT_EQ(other_outcome.get_future().get(), nullptr);
    EXPECT_EQ(store().find_order("u1", "o1"), first);
    EXPECT_TRUE(store().load_portfolio("u1")->open_orders.empty());
    EXPECT_EQ(store().load_portfolio("u1")->revision, 1);
    EXPECT_EQ(store().find_order("u2", "o9"), order("u2", "o9", 1000));
    // The same order changed (not new) is written over, as before.
    clash.created_ms = 1000;
    duplicate.changes.created_orders.clear();
    duplicate.changes.orders = {clash};
    EXPECT_EQ(commit(duplicate), nullptr);
    EXPECT_EQ(store().find_order("u1", "o1"), clash);
}

TEST_P(StoreConformance, UsersCannotReadEachOthersOrders) {
    add_user("u1", "a@b.co");
    add_user("u2", "c@d.co");
    ASSERT_EQ(commit(write_of("u1", {.orders = {order("u1", "o1", 1000)}})), nullptr);
    EXPECT_FALSE(store().find_order("u2", "o1").has_value());
    EXPECT_TRUE(store().orders("u2", {}).empty());
    EXPECT_TRUE(store().fills("u2", "o1").empty());
}

TEST_P(StoreConformance, OrdersPageNewestFirstWithFilters) {
    add_user("u1", "a@b.co");
    domain::Changes changes;
    for (int i = 0; i < 7; ++i) {
        auto o = order("u1", "o" + std::to_string(i), 1000 + i,
                       i % 2 == 0 ? domain::OrderStatus::kFilled : domain::OrderStatus::kOpen);
        if (i == 6) {
            o.symbol = "ETHUSDT";
        }
        changes.orders.push_back(o);
    }
    ASSERT_EQ(commit(write_of("u1", changes)), nullptr);
    const auto first = store().orders("u1", {.limit = 3});
    ASSERT_EQ(first.size(), 3u);
    EXPECT_EQ(first[0].id, "o6");
    EXPECT_EQ(first[2].id, "o4");
    const auto next = store().orders("u1", {.after = ports::PageAfter{"o4"}, .limit = 10});
    ASSERT_EQ(next.size(), 4u);
    EXPECT_EQ(next[0].id, "o3");
    const auto open = store().orders("u1", {.status = domain::OrderStatus::kOpen});
    EXPECT_EQ(open.size(), 3u);
    const auto eth = store().orders("u1", {.symbol = "ETHUSDT"});
    ASSERT_EQ(eth.size(), 1u);
    EXPECT_EQ(eth[0].id, "o6");
}

TEST_P(StoreConformance, TradesPageNewestFirstWithinATimeRange) {
    add_user("u1", "a@b.co");
    domain::Changes changes;
    for (int i = 0; i < 5; ++i) {
        changes.trades.push_back(trade("u1", "t" + std::to_string(i), 10'000 + i * 1000,
                                       i == 4 ? "ETHUSDT" : "BTCUSDT"));
    }
    ASSERT_EQ(commit(write_of("u1", changes)), nullptr);
    const auto all = store().trades("u1", {});
    ASSERT_EQ(all.size(), 5u);
    EXPECT_EQ(all[0], trade("u1", "t4", 14'000, "ETHUSDT"));
    const auto range = store().trades("u1", {.from_ms = 11'000, .to_ms = 13'000});
    ASSERT_EQ(range.size(), 3u);
    EXPECT_EQ(range[0].id, "t3");
    EXPECT_EQ(range[2].id, "t1");
    EXPECT_EQ(store().trades("u1", {.symbol = "ETHUSDT"}).size(), 1u);
    const auto page = store().trades("u1", {.after = ports::PageAfter{"t2"}, .limit = 1});
    ASSERT_EQ(page.size(), 1u);
    EXPECT_EQ(page[0].id, "t1");
    const auto oldest_first = store().all_trades("u1").trades;
    ASSERT_EQ(oldest_first.size(), 5u);
    EXPECT_EQ(oldest_first.front().id, "t0");
}

TEST_P(StoreConformance, AllTradesComeWithTheRevisionOfTheBookTheyWereReadAt) {
    add_user("u1", "a@b.co");
    const auto none = store().all_trades("u1");
    EXPECT_TRUE(none.trades.empty());
    EXPECT_EQ(none.revision, 0);

    domain::Changes changes;
    changes.trades = {trade("u1", "t1", 11'000), trade("u1", "t0", 10'000)};
    ASSERT_EQ(commit(write_of("u1", changes)), nullptr);
    const auto two = store().all_trades("u1");
    ASSERT_EQ(two.trades.size(), 2u);
    EXPECT_EQ(two.trades[0], trade("u1", "t0", 10'000));
    EXPECT_EQ(two.trades[1], trade("u1", "t1", 11'000));
    EXPECT_EQ(two.revision, 1);
    // A write without a trade still moves the revision the trades are read at.
    ASSERT_EQ(commit(write_of("u1", {})), nullptr);
    EXPECT_EQ(store().all_trades("u1").revision, 2);

    const auto nobody = store().all_trades("nobody");
    EXPECT_TRUE(nobody.trades.empty());
    EXPECT_EQ(nobody.revision, std::nullopt);
}

TEST_P(StoreConformance, ASecondFundingChargeForAPeriodFailsAloneAndChangesNothing) {
    add_user("u1", "a@b.co");
    add_user("u2", "c@d.co");
    domain::FundingPayment payment{"u1",
                                   "BTCUSDT",
                                   domain::PositionSide::kLong,
                                   Decimal::from_integer(1),
                                   Decimal::from_integer(100),
                                   Decimal::from_units(10'000),
                                   Decimal::from_units(1'000'000),
                                   42,
                                   5000};
    auto first = write_of("u1", {.funding = {payment}, .account_changed = true});
    first.account = store().load_portfolio("u1")->account;
    first.account.balance = Decimal::from_integer(9999);
    ASSERT_EQ(commit(first), nullptr);

    // The duplicate and another user's write are committed together; only the duplicate fails.
    auto duplicate = first;
    duplicate.revision = 1;  // current: only the period's primary key refuses it
    duplicate.account.balance = Decimal::from_integer(9998);
    std::promise<std::exception_ptr> duplicate_outcome;
    std::promise<std::exception_ptr> other_outcome;
    store().commit(duplicate, [&](std::exception_ptr e) { duplicate_outcome.set_value(e); });
    store().commit(write_of("u2", {.orders = {order("u2", "o9", 1000)}}),
                   [&](std::exception_ptr e) { other_outcome.set_value(e); });
    EXPECT_NE(duplicate_outcome.get_future().get(), nullptr);
    EXPECT_EQ(other_outcome.get_future().get(), nullptr);
    EXPECT_EQ(store().load_portfolio("u1")->account.balance, Decimal::from_integer(9999));
    EXPECT_TRUE(store().find_order("u2", "o9").has_value());
}

TEST_P(StoreConformance, AWriteOnAStaleRevisionIsRefusedAndChangesNothing) {
    add_user("u1", "a@b.co");
    auto first = write_of("u1", {.orders = {order("u1", "o1", 1000)}});
    first.account = store().load_portfolio("u1")->account;
    first.account.balance = Decimal::from_integer(9000);
    ASSERT_EQ(commit_as_is(first), nullptr);
    EXPECT_EQ(store().load_portfolio("u1")->revision, 1);
    EXPECT_EQ(store().book_revision("u1"), 1);
    EXPECT_EQ(store().book_revision("nobody"), std::nullopt);

    // Computed from the same state as the first: another instance's copy, now stale.
    auto stale = write_of("u1", {.orders = {order("u1", "o2", 2000)}});
    stale.account = first.account;
    stale.account.balance = Decimal::from_integer(1);
    const auto error = commit_as_is(stale);
    ASSERT_NE(error, nullptr);
    EXPECT_THROW(std::rethrow_exception(error), ports::WriteConflict);
    const auto book = store().load_portfolio("u1");
    EXPECT_EQ(book->revision, 1);
    EXPECT_EQ(book->account.balance, Decimal::from_integer(9000));
    EXPECT_FALSE(store().find_order("u1", "o2").has_value());

    stale.revision = 1;  // read again: accepted
    EXPECT_EQ(commit_as_is(stale), nullptr);
    EXPECT_EQ(store().load_portfolio("u1")->revision, 2);
    EXPECT_EQ(store().book_revision("u1"), 2);
}

TEST_P(StoreConformance, ConcurrentCommitsAreEachDurableAndAnsweredOnce) {
    constexpr int kUsers = 8;
    constexpr int kOrdersEach = 50;
    for (int u = 0; u < kUsers; ++u) {
        add_user("u" + std::to_string(u), "u" + std::to_string(u) + "@x.co");
    }
    std::atomic<int> answered{0};
    std::vector<std::thread> threads;
    for (int u = 0; u < kUsers; ++u) {
        threads.emplace_back([&, u] {
            const auto user = "u" + std::to_string(u);
            for (int i = 0; i < kOrdersEach; ++i) {
                char id[16];
                std::snprintf(id, sizeof id, "o%04d", i);
                auto write = write_of(user, {.orders = {order(user, id, 1000 + i)}});
                write.revision = i;
                EXPECT_EQ(commit_as_is(std::move(write)), nullptr);
                ++answered;
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(answered.load(), kUsers * kOrdersEach);
    for (int u = 0; u < kUsers; ++u) {
        EXPECT_EQ(store().orders("u" + std::to_string(u), {.limit = 1000}).size(),
                  static_cast<std::size_t>(kOrdersEach));
    }
    const auto stats = store().stats();
    EXPECT_GE(stats.committed_writes, static_cast<std::uint64_t>(kUsers * kOrdersEach));
    EXPECT_LE(stats.commit_batches, stats.committed_writes);
}

TEST_P(StoreConformance, WritesSubmittedTogetherAreEachStoredExactly) {
    // Submitted without waiting, so group commit carries many in one transaction (PostgreSQL
    // merges them into one statement per kind); awkward text must survive that unchanged.
    constexpr int kUsers = 24;
    const std::string awkward = R"(a"b\c,{d} 'e' NULL)";
    std::vector<ports::TradingWrite> writes;
    for (int u = 0; u < kUsers; ++u) {
        const auto user = "u" + std::to_string(u);
        add_user(user, user + "@x.co");
        domain::Changes changes;
        auto o = order(user, "o1", 1000 + u);
        o.client_order_id = awkward + std::to_string(u);
        changes.orders.push_back(o);
        changes.orders.push_back(order(user, "o2", 2000 + u, domain::OrderStatus::kOpen));
        changes.positions.push_back(position(user, "ETHUSDT"));
        changes.positions.push_back(position(user, "SOLUSDT"));
        changes.trades.push_back(trade(user, "t1", 5000 + u));
        changes.account_changed = true;
        auto write = write_of(user, changes);
        write.account = store().load_portfolio(user)->account;
        write.account.balance = Decimal::from_integer(u);
        writes.push_back(std::move(write));
    }
    std::vector<std::promise<std::exception_ptr>> outcomes(kUsers);
    for (int u = 0; u < kUsers; ++u) {
        store().commit(writes[u],
                       [&outcomes, u](std::exception_ptr e) { outcomes[u].set_value(e); });
    }
    for (auto& outcome : outcomes) {
        EXPECT_EQ(outcome.get_future().get(), nullptr);
    }
    for (int u = 0; u < kUsers; ++u) {
        const auto user = "u" + std::to_string(u);
        const auto book = store().load_portfolio(user);
        ASSERT_TRUE(book.has_value());
        EXPECT_EQ(book->account.balance, Decimal::from_integer(u));
        EXPECT_EQ(book->positions.size(), 2u);
        ASSERT_EQ(book->open_orders.size(), 1u);
        const auto by_client = store().find_order_by_client_id(user, awkward + std::to_string(u));
        ASSERT_TRUE(by_client.has_value()) << user;
        EXPECT_EQ(*by_client, writes[u].changes.orders[0]);
        EXPECT_EQ(store().trades(user, {}).size(), 1u);
    }
    // Closing every user's two positions together.
    std::vector<std::promise<std::exception_ptr>> closes(kUsers);
    for (int u = 0; u < kUsers; ++u) {
        auto close =
            write_of("u" + std::to_string(u), {.closed_positions = {"ETHUSDT", "SOLUSDT"}});
        close.revision = 1;
        store().commit(close, [&closes, u](std::exception_ptr e) { closes[u].set_value(e); });
    }
    for (auto& close : closes) {
        EXPECT_EQ(close.get_future().get(), nullptr);
    }
    EXPECT_EQ(store().open_positions(), 0);
}

TEST_P(StoreConformance, TheNewestStoredSignalOfASymbolWins) {
    EXPECT_FALSE(store().find_analysis("BTCUSDT"));
    store().save_analysis("BTCUSDT", {2000, 9000, R"({"signal":"long"})"});
    store().save_analysis("BTCUSDT", {1000, 8000, R"({"signal":"short"})"});  // older: ignored
    store().save_analysis("ETHUSDT", {1500, 8500, R"({"signal":"neutral"})"});
    store().flush();
    const auto btc = store().find_analysis("BTCUSDT");
    ASSERT_TRUE(btc);
    EXPECT_EQ(btc->computed_ms, 2000);
    EXPECT_EQ(btc->expires_ms, 9000);
    EXPECT_EQ(btc->body, R"({"signal":"long"})");
    EXPECT_EQ(store().find_analysis("ETHUSDT")->body, R"({"signal":"neutral"})");
}

TEST_P(StoreConformance, CandlesComeBackOldestFirstUpToTheLimit) {
    for (int i = 0; i < 5; ++i) {
        store().save_candle("BTCUSDT", market::Interval::k1m, candle(i * 60'000, 100 + i), {});
    }
    store().save_candle("ETHUSDT", market::Interval::k1m, candle(0, 7), {});
    store().save_candle("BTCUSDT", market::Interval::k1m, candle(4 * 60'000, 204), {});  // replaces
    store().flush();
    const auto last3 = store().candles("BTCUSDT", market::Interval::k1m, std::nullopt, 3);
    ASSERT_EQ(last3.size(), 3u);
    EXPECT_EQ(last3.front().open_ms, 2 * 60'000);
    EXPECT_EQ(last3.back().close, Decimal::from_integer(204));
    EXPECT_EQ(last3.back().volume, Decimal::from_units(17));
    const auto before = store().candles("BTCUSDT", market::Interval::k1m, 2 * 60'000, 10);
    EXPECT_EQ(before.size(), 2u);
    EXPECT_TRUE(store().candles("BTCUSDT", market::Interval::k5m, std::nullopt, 10).empty());
}

TEST_P(StoreConformance, APartialCandleOnlyFillsAGap) {
    using Save = ports::MarketStore::CandleSave;
    store().save_candle("BTCUSDT", market::Interval::k1m, candle(0, 100), {});
    store().save_candle("BTCUSDT", market::Interval::k1m, candle(0, 1), {}, Save::kIfAbsent);
    store().save_candle("BTCUSDT", market::Interval::k1m, candle(60'000, 2), {}, Save::kIfAbsent);
    store().flush();
    const auto stored = store().candles("BTCUSDT", market::Interval::k1m, std::nullopt, 10);
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0].close, Decimal::from_integer(100));  // the whole one stays
    EXPECT_EQ(stored[1].close, Decimal::from_integer(2));
}

TEST_P(StoreConformance, RetentionDeletesOnlyCandlesOlderThanTheCutoff) {
    store().save_candle("BTCUSDT", market::Interval::k1m, candle(1000, 1), {});
    store().save_candle("BTCUSDT", market::Interval::k1m, candle(5000, 2), {});
    store().flush();
    EXPECT_EQ(store().delete_candles_before(5000), 1);
    const auto left = store().candles("BTCUSDT", market::Interval::k1m, std::nullopt, 10);
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].open_ms, 5000);
}

TEST_P(StoreConformance, BotSettingsAreReplacedPerUserOnceDurable) {
    add_user("u1", "a@b.co");
    add_user("u2", "c@d.co");
    EXPECT_TRUE(put_bot(store(), {"u1", R"({"enabled":false})", 1000}));
    EXPECT_TRUE(put_bot(store(), {"u1", R"({"enabled":true})", 2000}));
    EXPECT_FALSE(put_bot(store(), {"ghost", "{}", 1}));  // no such user
    const auto bots = store().all_bots();
    ASSERT_EQ(bots.size(), 1u);
    EXPECT_EQ(bots[0].settings_json, R"({"enabled":true})");
    EXPECT_EQ(bots[0].updated_ms, 2000);
    const auto found = store().find_bot("u1");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->settings_json, R"({"enabled":true})");
    EXPECT_FALSE(store().find_bot("u2").has_value());
}

// Each change is made from the settings the one before stored, however many run at once: a
// counter kept in the settings counts every change.
TEST_P(StoreConformance, ConcurrentBotChangesEachApplyToTheOneBefore) {
    add_user("u1", "a@b.co");
    constexpr int kThreads = 4;
    constexpr int kChangesEach = 25;
    std::atomic<int> first_seen_empty{0};
    const auto increment = [&first_seen_empty](const std::optional<ports::StoredBot>& stored) {
        if (!stored) {
            ++first_seen_empty;
        }
        const auto count = stored ? std::stoll(stored->settings_json) : 0;
        return std::optional<ports::StoredBot>({"u1", std::to_string(count + 1), count + 1});
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([this, &increment] {
            std::vector<std::future<std::exception_ptr>> pending;
            for (int i = 0; i < kChangesEach; ++i) {
                auto done = std::make_shared<std::promise<std::exception_ptr>>();
                pending.push_back(done->get_future());
                store().change_bot("u1", increment,
                                   [done](std::exception_ptr error) { done->set_value(error); });
            }
            for (auto& result : pending) {
                EXPECT_EQ(result.get(), nullptr);
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    const auto found = store().find_bot("u1");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->settings_json, std::to_string(kThreads * kChangesEach));
    EXPECT_EQ(found->updated_ms, kThreads * kChangesEach);
    EXPECT_GE(first_seen_empty.load(), 1);
}

TEST_P(StoreConformance, ARefusedBotChangeStoresNothing) {
    add_user("u1", "a@b.co");
    ASSERT_TRUE(put_bot(store(), {"u1", R"({"leverage":5})", 1000}));
    std::promise<std::exception_ptr> done;
    std::optional<ports::StoredBot> seen;
    store().change_bot(
        "u1",
        [&seen](const std::optional<ports::StoredBot>& stored) {
            seen = stored;
            return std::optional<ports::StoredBot>();
        },
        [&done](std::exception_ptr error) { done.set_value(error); });
    EXPECT_EQ(done.get_future().get(), nullptr);
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->settings_json, R"({"leverage":5})");
    EXPECT_EQ(store().find_bot("u1")->updated_ms, 1000);
}

INSTANTIATE_TEST_SUITE_P(Engines, StoreConformance, ::testing::ValuesIn(kEngineNamesWithPooler),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace botcore::testing
