#include "domain/portfolio.hpp"
#include "domain_test_support.hpp"

#include "domain/decimal_math.hpp"

#include <gtest/gtest.h>

#include <ostream>

#include <memory>
#include <string>

namespace botcore::domain {

namespace {

Account account_with(const char* maker = "0.0002", const char* taker = "0.0004") {
    Account a;
    a.user_id = "u1";
    a.maker_fee_rate = d(maker);
    a.taker_fee_rate = d(taker);
    return a;
}

// Exact prices unless a test is about slippage.
Portfolio exact(Account a = account_with()) {
    return Portfolio(std::move(a), counter_ids(), SymbolCatalog::default_catalog(),
                     SlippageModel::none());
}

OrderRequest market(Side side, const char* qty, int leverage = 10, std::string symbol = "BTCUSDT") {
    OrderRequest r;
    r.symbol = std::move(symbol);
    r.side = side;
    r.type = OrderType::kMarket;
    r.quantity = d(qty);
    r.leverage = leverage;
    return r;
}

OrderRequest limit(Side side, const char* qty, const char* price, int leverage = 10) {
    OrderRequest r = market(side, qty, leverage);
    r.type = OrderType::kLimit;
    r.price = d(price);
    return r;
}

OrderRequest stop_limit(Side side, const char* qty, const char* stop, const char* price) {
    OrderRequest r = limit(side, qty, price);
    r.type = OrderType::kStopLimit;
    r.stop_price = d(stop);
    return r;
}

// ---- Worked examples -------------------------------------------------------------------
// Market open at `entry`, manual close of everything at `exit`, no slippage, both legs taker.
//   margin  = qty * entry / leverage
//   pnl     = (exit - entry) * qty for a long, (entry - exit) * qty for a short
//   fees    = qty * entry * taker + qty * exit * taker
//   balance = 10,000 + pnl - fees
struct WorkedExample {
    const char* name;
    const char* symbol;
    Side open_side;
    const char* entry;
    const char* exit;
    const char* quantity;
    int leverage;
    const char* maker;
    const char* taker;
    const char* margin;
    const char* pnl;
    const char* fees;
    const char* balance;
};

const WorkedExample kWorkedExamples[] = {
    // long win: notional 5,000 -> margin 500, fee 2; close 5,500 -> fee 2.2; pnl 5,000*0.1
    {"long_win", "BTCUSDT", Side::kBuy, "50000", "55000", "0.1", 10, "0.0002", "0.0004", "500",
     "500", "4.2", "10495.8"},
    // short win: notional 10,000 -> margin 2,000, fee 4; close 9,000 -> 3.6; pnl 5,000*0.2
    {"short_win", "BTCUSDT", Side::kSell, "50000", "45000", "0.2", 5, "0.0002", "0.0004", "2000",
     "1000", "7.6", "10992.4"},
    // long loss: 4,500 -> margin 225, fee 1.8; close 4,350 -> 1.74; pnl -100*1.5
    {"long_loss", "ETHUSDT", Side::kBuy, "3000", "2900", "1.5", 20, "0.0002", "0.0004", "225",
     "-150", "3.54", "9846.46"},
    // short loss: 4,000 / 3 = 1,333.33333333, fee 1.6; close 4,200 -> 1.68; pnl -100*2
    {"short_loss", "ETHUSDT", Side::kSell, "2000", "2100", "2", 3, "0.0002", "0.0004",
     "1333.33333333", "-200", "3.28", "9796.72"},
    // custom taker 0.05%: 3,000 at 1x -> margin 3,000, fee 1.5; close 3,050 -> 1.525; pnl 50
    {"long_custom_fees", "BTCUSDT", Side::kBuy, "60000", "61000", "0.05", 1, "0.0001", "0.0005",
     "3000", "50", "3.025", "10046.975"},
    // short at 50x: 2,500 -> margin 50, fee 1; close 2,475 -> 0.99; pnl 25
    {"short_high_leverage", "BTCUSDT", Side::kSell, "50000", "49500", "0.05", 50, "0.0002",
     "0.0004", "50", "25", "1.99", "10023.01"},
};

class WorkedExamples : public ::testing::TestWithParam<WorkedExample> {};

TEST_P(WorkedExamples, OpenAndCloseGiveTheHandComputedMarginPnlFeesAndBalance) {
    const WorkedExample& row = GetParam();
    Portfolio p = exact(account_with(row.maker, row.taker));
    ASSERT_TRUE(p.place_order(market(row.open_side, row.quantity, row.leverage, row.symbol),
                              d(row.entry), 1000));
    EXPECT_EQ(p.position(row.symbol)->margin, d(row.margin));
    const auto closed =
        p.close_position(row.symbol, std::nullopt, d(row.exit), CloseReason::kManual, 2000);
    ASSERT_TRUE(closed);
    ASSERT_EQ(closed->trades.size(), 1u);
    const Trade& trade = closed->trades.front();
    EXPECT_EQ(trade.realized_pnl, d(row.pnl));
    EXPECT_EQ(trade.fees, d(row.fees));
    EXPECT_EQ(trade.entry_price, d(row.entry));
    EXPECT_EQ(trade.exit_price, d(row.exit));
    EXPECT_EQ(p.account().balance, d(row.balance));
    EXPECT_EQ(p.account().fees_paid, d(row.fees));
    EXPECT_EQ(p.account().realized_pnl, d(row.pnl));
    EXPECT_EQ(p.position(row.symbol), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Portfolio, WorkedExamples, ::testing::ValuesIn(kWorkedExamples),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- Orders ---------------------------------------------------------------------------

TEST(PortfolioOrders, MarketOrderFillsAtOnceAsTakerAtTheSlippedPrice) {
    Portfolio p(account_with(), counter_ids());
    const auto changes = p.place_order(market(Side::kBuy, "0.2"), d("50000"), 1000);
    ASSERT_TRUE(changes);
    // 10,000 notional -> 1.1 bp slippage: 50,005.5; fee 0.2 * 50,005.5 * 0.04% = 4.00044
    ASSERT_EQ(changes->fills.size(), 1u);
    EXPECT_EQ(changes->fills[0].price, d("50005.5"));
    EXPECT_EQ(changes->fills[0].fee, d("4.00044"));
    EXPECT_EQ(changes->fills[0].liquidity, Liquidity::kTaker);
    EXPECT_EQ(changes->orders[0].status, OrderStatus::kFilled);
    EXPECT_EQ(changes->orders[0].average_price, d("50005.5"));
    EXPECT_EQ(p.position("BTCUSDT")->margin, d("1000.11"));  // 10,001.1 / 10
    EXPECT_EQ(p.account().balance, d("9995.99956"));
}

TEST(PortfolioOrders, LimitBelowTheMarketRestsAndReservesMargin) {
    Portfolio p = exact();
    const auto changes = p.place_order(limit(Side::kBuy, "0.1", "49000"), d("50000"), 1000);
    ASSERT_TRUE(changes);
    EXPECT_TRUE(changes->fills.empty());
    EXPECT_EQ(changes->orders[0].status, OrderStatus::kOpen);
    // 4,900 / 10 = 490 margin + 4,900 * 0.02% = 0.98 maker fee
    EXPECT_EQ(changes->orders[0].reserved_margin, d("490.98"));
    EXPECT_EQ(p.view()->free_margin, d("9509.02"));
    EXPECT_EQ(p.account().balance, d("10000"));
    EXPECT_FALSE(changes->account_changed);
}

TEST(PortfolioOrders, RestingLimitDoesNotFillBeforeThePriceReachesIt) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(limit(Side::kBuy, "0.1", "49000"), d("50000"), 1000));
    EXPECT_TRUE(p.on_price("BTCUSDT", d("49000.1"), 2000).empty());
    EXPECT_EQ(p.state().open_orders.size(), 1u);
}

TEST(PortfolioOrders, RestingLimitFillsAtItsPriceAsMakerWhenCrossed) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(limit(Side::kBuy, "0.1", "49000"), d("50000"), 1000));
    const auto changes = p.on_price("BTCUSDT", d("48900"), 2000);
    ASSERT_EQ(changes.fills.size(), 1u);
    EXPECT_EQ(changes.fills[0].price, d("49000"));
    EXPECT_EQ(changes.fills[0].liquidity, Liquidity::kMaker);
    EXPECT_EQ(changes.fills[0].fee, d("0.98"));  // 4,900 * 0.02%
    EXPECT_EQ(changes.orders[0].status, OrderStatus::kFilled);
    EXPECT_EQ(changes.orders[0].reserved_margin, d("0"));
    EXPECT_EQ(p.position("BTCUSDT")->entry_price, d("49000"));
    EXPECT_EQ(p.view()->margin_used, d("490"));
    EXPECT_EQ(p.view()->reserved_margin, d("0"));
}

// The store inserts new orders and updates the others: each command says which are new.
TEST(PortfolioOrders, OnlyTheOrderACommandPlacesIsReportedAsCreated) {
    Portfolio p = exact();
    const auto rested = p.place_order(limit(Side::kBuy, "0.1", "49000"), d("50000"), 1000);
    ASSERT_TRUE(rested);
    EXPECT_EQ(rested->created_orders, std::vector<std::string>{rested->orders[0].id});
    const auto market_order = p.place_order(market(Side::kBuy, "0.1"), d("50000"), 1500);
    ASSERT_TRUE(market_order);
    EXPECT_EQ(market_order->created_orders, std::vector<std::string>{market_order->orders[0].id});
    const auto filled = p.on_price("BTCUSDT", d("48900"), 2000);
    ASSERT_EQ(filled.orders.size(), 1u);
    EXPECT_TRUE(filled.created_orders.empty());
    const auto again = p.place_order(limit(Side::kBuy, "0.1", "48000"), d("48900"), 3000);
    ASSERT_TRUE(again);
    const auto cancelled = p.cancel_order(again->orders[0].id, 4000);
    ASSERT_TRUE(cancelled);
    ASSERT_EQ(cancelled->orders.size(), 1u);
    EXPECT_TRUE(cancelled->created_orders.empty());
}

TEST(PortfolioOrders, MarketableLimitFillsAsTakerButNeverBeyondItsPrice) {
    Portfolio p(account_with(), counter_ids());
    // slipped price would be 50,005.5 (see above); the limit caps it at 50,001
    const auto changes = p.place_order(limit(Side::kBuy, "0.2", "50001"), d("50000"), 1000);
    ASSERT_EQ(changes->fills.size(), 1u);
    EXPECT_EQ(changes->fills[0].price, d("50001"));
    EXPECT_EQ(changes->fills[0].liquidity, Liquidity::kTaker);
}

TEST(PortfolioOrders, StopLimitWaitsUntriggeredForItsStopPrice) {
    Portfolio p = exact();
    const auto placed =
        p.place_order(stop_limit(Side::kBuy, "0.1", "51000", "51100"), d("50000"), 1000);
    ASSERT_TRUE(placed);
    EXPECT_EQ(placed->orders[0].status, OrderStatus::kOpen);
    EXPECT_FALSE(placed->orders[0].triggered);
    EXPECT_TRUE(p.on_price("BTCUSDT", d("50900"), 2000).empty());
}

TEST(PortfolioOrders, TriggeredStopLimitThatIsMarketableFillsAsTaker) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(stop_limit(Side::kBuy, "0.1", "51000", "51100"), d("50000"), 1000));
    const auto changes = p.on_price("BTCUSDT", d("51050"), 2000);
    ASSERT_EQ(changes.fills.size(), 1u);
    EXPECT_EQ(changes.fills[0].price, d("51050"));
    EXPECT_EQ(changes.fills[0].liquidity, Liquidity::kTaker);
    EXPECT_TRUE(changes.orders[0].triggered);
    EXPECT_EQ(changes.orders[0].status, OrderStatus::kFilled);
}

TEST(PortfolioOrders, TriggeredStopLimitBeyondItsLimitRestsUntilTheLimitTrades) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(stop_limit(Side::kBuy, "0.1", "51000", "51000"), d("50000"), 1000));
    const auto jumped = p.on_price("BTCUSDT", d("51200"), 2000);
    EXPECT_TRUE(jumped.fills.empty());
    ASSERT_EQ(jumped.orders.size(), 1u);
    EXPECT_TRUE(jumped.orders[0].triggered);
    EXPECT_EQ(jumped.orders[0].status, OrderStatus::kOpen);
    const auto back = p.on_price("BTCUSDT", d("51000"), 3000);
    ASSERT_EQ(back.fills.size(), 1u);
    EXPECT_EQ(back.fills[0].price, d("51000"));
    EXPECT_EQ(back.fills[0].liquidity, Liquidity::kMaker);
}

TEST(PortfolioOrders, CancelReleasesTheReservedMargin) {
    Portfolio p = exact();
    const auto placed = p.place_order(limit(Side::kBuy, "0.1", "49000"), d("50000"), 1000);
    const auto cancelled = p.cancel_order(placed->orders[0].id, 2000);
    ASSERT_TRUE(cancelled);
    EXPECT_EQ(cancelled->orders[0].status, OrderStatus::kCancelled);
    EXPECT_EQ(cancelled->orders[0].updated_ms, 2000);
    EXPECT_TRUE(p.state().open_orders.empty());
    EXPECT_EQ(p.view()->free_margin, d("10000"));
}

TEST(PortfolioOrders, CancellingAFilledOrderIsRefused) {
    Portfolio p = exact();
    const auto filled = p.place_order(market(Side::kBuy, "0.1"), d("50000"), 1000);
    const auto again = p.cancel_order(filled->orders[0].id, 2000);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, OrderErrorCode::kOrderNotOpen);
}

TEST(PortfolioOrders, CancellingTwiceIsRefused) {
    Portfolio p = exact();
    const auto placed = p.place_order(limit(Side::kBuy, "0.1", "49000"), d("50000"), 1000);
    ASSERT_TRUE(p.cancel_order(placed->orders[0].id, 2000));
    EXPECT_EQ(p.cancel_order(placed->orders[0].id, 3000).error().code,
              OrderErrorCode::kOrderNotOpen);
}

TEST(PortfolioOrders, InsufficientFreeMarginIsRefused) {
    Portfolio p = exact();
    // 2 BTC at 50,000, 10x: 10,000 margin + 40 fee > 10,000 free
    const auto refused = p.place_order(market(Side::kBuy, "2"), d("50000"), 1000);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, OrderErrorCode::kInsufficientMargin);
    EXPECT_EQ(refused.error().field, "quantity");
    // 1.99 BTC: 9,950 margin + 39.8 fee = 9,989.8 <= 10,000
    EXPECT_TRUE(p.place_order(market(Side::kBuy, "1.99"), d("50000"), 1000));
}

TEST(PortfolioOrders, RestingOrdersReservationCountsAgainstLaterOrders) {
    Portfolio p = exact();
    // 1.5 BTC @ 49,000, 10x: 7,350 + 14.7 maker fee reserved -> 2,635.3 free
    ASSERT_TRUE(p.place_order(limit(Side::kBuy, "1.5", "49000"), d("50000"), 1000));
    // 0.6 BTC market: 3,000 + 12 > 2,635.3
    EXPECT_EQ(p.place_order(market(Side::kBuy, "0.6"), d("50000"), 1000).error().code,
              OrderErrorCode::kInsufficientMargin);
}

// ---- Positions -------------------------------------------------------------------------

TEST(PortfolioPositions, AddingToAPositionAveragesTheEntryPrice) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.1"), d("50000"), 1000));
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.1"), d("52000"), 2000));
    const Position* pos = p.position("BTCUSDT");
    EXPECT_EQ(pos->quantity, d("0.2"));
    EXPECT_EQ(pos->entry_price, d("51000"));  // (5,000 + 5,200) / 0.2
    EXPECT_EQ(pos->margin, d("1020"));        // 500 + 520
    EXPECT_EQ(pos->open_fees, d("4.08"));     // 2 + 2.08
    EXPECT_EQ(pos->opened_ms, 1000);
    EXPECT_EQ(pos->updated_ms, 2000);
}

TEST(PortfolioPositions, OppositeOrderReducesProRata) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.2"), d("50000"), 1000));  // margin 1,000, fee 4
    const auto changes = p.place_order(market(Side::kSell, "0.05"), d("52000"), 2000);
    ASSERT_EQ(changes->trades.size(), 1u);
    const Trade& t = changes->trades[0];
    EXPECT_EQ(t.quantity, d("0.05"));
    EXPECT_EQ(t.realized_pnl, d("100"));  // 2,000 * 0.05
    EXPECT_EQ(t.fees, d("2.04"));         // 4 * 0.25 opening share + 2,600 * 0.04%
    EXPECT_EQ(t.margin, d("250"));        // a quarter of 1,000
    const Position* pos = p.position("BTCUSDT");
    EXPECT_EQ(pos->quantity, d("0.15"));
    EXPECT_EQ(pos->margin, d("750"));  // 1,000 - 250 released
    EXPECT_EQ(pos->open_fees, d("3"));
    EXPECT_EQ(pos->entry_price, d("50000"));
}

TEST(PortfolioPositions, LargerOppositeOrderClosesAndOpensTheOtherSide) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.1"), d("50000"), 1000));
    const auto changes = p.place_order(market(Side::kSell, "0.3"), d("51000"), 2000);
    // one fill of 0.3 @ 51,000: fee 15,300 * 0.04% = 6.12, a third closes (2.04)
    ASSERT_EQ(changes->fills.size(), 1u);
    EXPECT_EQ(changes->fills[0].fee, d("6.12"));
    ASSERT_EQ(changes->trades.size(), 1u);
    EXPECT_EQ(changes->trades[0].realized_pnl, d("100"));
    EXPECT_EQ(changes->trades[0].fees, d("4.04"));  // 2 opening + 2.04 closing
    const Position* pos = p.position("BTCUSDT");
    EXPECT_EQ(pos->side, PositionSide::kShort);
    EXPECT_EQ(pos->quantity, d("0.2"));
    EXPECT_EQ(pos->entry_price, d("51000"));
    EXPECT_EQ(pos->margin, d("1020"));
    EXPECT_EQ(pos->open_fees, d("4.08"));
    EXPECT_NE(pos->trade_id, changes->trades[0].position_id);
}

TEST(PortfolioPositions, ReduceOnlyIsCappedAtThePositionSize) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.1"), d("50000"), 1000));
    OrderRequest r = market(Side::kSell, "0.3");
    r.reduce_only = true;
    const auto changes = p.place_order(r, d("50000"), 2000);
    ASSERT_TRUE(changes);
    EXPECT_EQ(changes->orders[0].filled_quantity, d("0.1"));
    EXPECT_EQ(p.position("BTCUSDT"), nullptr);
    EXPECT_EQ(changes->closed_positions, std::vector<std::string>{"BTCUSDT"});
}

// A 10x long of 0.1 BTC with a reduce-only sell limit at 52,000, then closed by hand.
Portfolio closed_long_with_resting_reduce_only() {
    Portfolio p = exact();
    EXPECT_TRUE(p.place_order(market(Side::kBuy, "0.1"), d("50000"), 1000));
    OrderRequest r = limit(Side::kSell, "0.1", "52000");
    r.reduce_only = true;
    EXPECT_TRUE(p.place_order(r, d("50000"), 1000));
    EXPECT_TRUE(p.close_position("BTCUSDT", std::nullopt, d("50000"), CloseReason::kManual, 2000));
    return p;
}

TEST(PortfolioPositions, RestingReduceOnlyIsCancelledWhenThePositionIsGone) {
    Portfolio p = closed_long_with_resting_reduce_only();
    const auto changes = p.on_price("BTCUSDT", d("52000"), 3000);
    ASSERT_EQ(changes.orders.size(), 1u);
    EXPECT_EQ(changes.orders[0].status, OrderStatus::kCancelled);
    EXPECT_TRUE(changes.fills.empty());
    EXPECT_EQ(p.position("BTCUSDT"), nullptr);
}

TEST(PortfolioPositions, PartialCloseRealizesItsShare) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.2"), d("50000"), 1000));
    const auto changes = p.close_position("BTCUSDT", d("0.1"), d("49000"), CloseReason::kBot, 2000);
    ASSERT_TRUE(changes);
    EXPECT_EQ(changes->trades[0].realized_pnl, d("-100"));
    EXPECT_EQ(changes->trades[0].close_reason, CloseReason::kBot);
    EXPECT_EQ(p.position("BTCUSDT")->quantity, d("0.1"));
    EXPECT_EQ(p.position("BTCUSDT")->margin, d("500"));
}

TEST(PortfolioPositions, ManualCloseSlipsAgainstTheTrader) {
    Portfolio p(account_with(), counter_ids());
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.2"), d("50000"), 1000));
    const auto changes =
        p.close_position("BTCUSDT", std::nullopt, d("50000"), CloseReason::kManual, 2000);
    EXPECT_EQ(changes->trades[0].exit_price, d("49994.5"));  // 1.1 bp below
}

// ---- Margin at fill ---------------------------------------------------------------------
// A symbol has one leverage: the position's, else the resting orders'. A resting order that
// fills opens or grows a position only with margin the account has: its own reservation, or
// else the free margin valued at the fill price; otherwise the order is cancelled unfilled.

TEST(PortfolioMarginAtFill, OrderAtAnotherLeverageThanARestingOrderIsRefused) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(limit(Side::kBuy, "1", "49000", 100), d("50000"), 1000));
    const auto refused = p.place_order(market(Side::kBuy, "0.1", 1), d("50000"), 2000);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, OrderErrorCode::kInvalidLeverage);
    EXPECT_EQ(refused.error().field, "leverage");
    EXPECT_EQ(p.position("BTCUSDT"), nullptr);
}

TEST(PortfolioMarginAtFill, OrderWithoutLeverageTakesTheRestingOrdersLeverage) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(limit(Side::kBuy, "1", "49000", 100), d("50000"), 1000));
    OrderRequest r = market(Side::kBuy, "0.1");
    r.leverage.reset();
    ASSERT_TRUE(p.place_order(r, d("50000"), 2000));
    EXPECT_EQ(p.position("BTCUSDT")->leverage, 100);
    EXPECT_EQ(p.position("BTCUSDT")->margin, d("50"));  // 5,000 / 100
}

TEST(PortfolioMarginAtFill, RestingReduceOnlyOrderDoesNotHoldTheLeverage) {
    Portfolio p = closed_long_with_resting_reduce_only();
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.1", 20), d("50000"), 3000));
    EXPECT_EQ(p.position("BTCUSDT")->leverage, 20);
}

// A book stored before one leverage per symbol was enforced: a 1x long of 0.1 BTC at 50,000
// (margin 5,000, fee 2) and a buy limit at 49,000 placed at 100x.
Portfolio mixed_leverage_book(const char* limit_quantity) {
    Portfolio with_position = exact();
    EXPECT_TRUE(with_position.place_order(market(Side::kBuy, "0.1", 1), d("50000"), 1000));
    Portfolio with_limit = exact();
    EXPECT_TRUE(
        with_limit.place_order(limit(Side::kBuy, limit_quantity, "49000", 100), d("50000"), 1000));
    PortfolioState state = with_position.state();
    state.open_orders = with_limit.state().open_orders;
    Portfolio::IdSource ids = [next = 100]() mutable { return "id" + std::to_string(++next); };
    return Portfolio(std::move(state), std::move(ids), SymbolCatalog::default_catalog(),
                     SlippageModel::none());
}

TEST(PortfolioMarginAtFill, StoredOrderIsCancelledWhenThePositionsLeverageNeedsMoreThanIsFree) {
    // 1 BTC reserved 490 + 9.8 fee at 100x, but it would add 49,000 of margin at the 1x of the
    // position; free at 49,000: 9,998 - 100 unrealized - 5,000 margin = 4,898.
    Portfolio p = mixed_leverage_book("1");
    const auto changes = p.on_price("BTCUSDT", d("49000"), 2000);
    EXPECT_TRUE(changes.fills.empty());
    ASSERT_EQ(changes.orders.size(), 1u);
    EXPECT_EQ(changes.orders[0].status, OrderStatus::kCancelled);
    EXPECT_EQ(changes.orders[0].filled_quantity, d("0"));
    EXPECT_EQ(changes.orders[0].reserved_margin, d("0"));
    EXPECT_TRUE(p.state().open_orders.empty());
    EXPECT_EQ(p.view()->free_margin, d("4898"));
    EXPECT_EQ(p.position("BTCUSDT")->margin, d("5000"));
    // At 25,000 the 1x long loses 2,500 (+ 1 fee), not more than it had.
    ASSERT_TRUE(p.close_position("BTCUSDT", std::nullopt, d("25000"), CloseReason::kManual, 3000));
    EXPECT_EQ(p.account().balance, d("7497"));
}

TEST(PortfolioMarginAtFill, StoredOrderFillsAtThePositionsLeverageWhenTheMarginIsFree) {
    // 0.05 BTC at 49,000 at 1x: 2,450 margin + 0.49 maker fee <= 4,898 free.
    Portfolio p = mixed_leverage_book("0.05");
    const auto changes = p.on_price("BTCUSDT", d("49000"), 2000);
    ASSERT_EQ(changes.fills.size(), 1u);
    EXPECT_EQ(changes.fills[0].fee, d("0.49"));
    EXPECT_EQ(changes.orders[0].status, OrderStatus::kFilled);
    EXPECT_EQ(p.position("BTCUSDT")->leverage, 1);
    EXPECT_EQ(p.position("BTCUSDT")->margin, d("7450"));  // 5,000 + 2,450
    EXPECT_GE(p.view()->free_margin, d("0"));
}

TEST(PortfolioMarginAtFill, ClosingLimitThatWouldNowOpenIsCancelledWithoutFreeMargin) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.1", 1), d("50000"), 1000));  // 5,000 + 2 fee
    // Closes the long when placed, so it reserves nothing.
    const auto placed = p.place_order(limit(Side::kSell, "0.1", "51000", 1), d("50000"), 1000);
    ASSERT_TRUE(placed);
    EXPECT_EQ(placed->orders[0].reserved_margin, d("0"));
    ASSERT_TRUE(p.close_position("BTCUSDT", std::nullopt, d("50000"), CloseReason::kManual, 2000));
    // 9,996 free; 3.33 ETH at 3,000, 1x: 9,990 margin + 3.996 fee leaves 2.004.
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "3.33", 1, "ETHUSDT"), d("3000"), 3000));
    ASSERT_EQ(p.view()->free_margin, d("2.004"));

    // Filling would open a 0.1 BTC short: 5,100 margin + 1.02 fee > 2.004.
    const auto changes = p.on_price("BTCUSDT", d("51000"), 4000);
    EXPECT_TRUE(changes.fills.empty());
    ASSERT_EQ(changes.orders.size(), 1u);
    EXPECT_EQ(changes.orders[0].status, OrderStatus::kCancelled);
    EXPECT_EQ(p.position("BTCUSDT"), nullptr);
    EXPECT_EQ(p.view()->free_margin, d("2.004"));

    // The worst case, every position liquidated, loses only the margin the account had.
    p.on_price("ETHUSDT", d("30"), 5000);      // 1x long liquidation: 3,000 * 0.01
    p.on_price("BTCUSDT", d("110000"), 6000);  // beyond where the short would be liquidated
    EXPECT_TRUE(p.state().positions.empty());
    EXPECT_EQ(p.account().balance, d("2.004"));  // 9,992.004 - 9,990
}

TEST(PortfolioMarginAtFill, ReservedOrderFillsEvenWhenLossesElsewhereTookTheFreeMargin) {
    Portfolio p = exact();
    // 0.1 BTC at 49,000, 10x: 490 + 0.98 reserved.
    ASSERT_TRUE(p.place_order(limit(Side::kBuy, "0.1", "49000"), d("50000"), 1000));
    // 30 ETH at 3,000, 10x: 9,000 + 36 fee -> 473.02 free.
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "30", 10, "ETHUSDT"), d("3000"), 1000));
    p.on_price("ETHUSDT", d("2980"), 2000);  // -600 unrealized, above the 2,707.5 liquidation
    ASSERT_EQ(p.view()->free_margin, d("-126.98"));
    const auto changes = p.on_price("BTCUSDT", d("49000"), 3000);
    ASSERT_EQ(changes.fills.size(), 1u);
    EXPECT_EQ(changes.orders[0].status, OrderStatus::kFilled);
    EXPECT_EQ(p.view()->free_margin, d("-126.98"));  // the reservation became margin and fee
}

// ---- Liquidation ----------------------------------------------------------------------
// Long 0.1 BTC @ 50,000 at 10x: margin 500, fee 2; liquidation 50,000 * 9.025 / 10 = 45,125.

TEST(PortfolioLiquidation, DoesNotFireAboveTheLiquidationPrice) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.1"), d("50000"), 1000));
    EXPECT_TRUE(p.on_price("BTCUSDT", d("45125.1"), 2000).empty());
    EXPECT_NE(p.position("BTCUSDT"), nullptr);
}

TEST(PortfolioLiquidation, FiresWhenTheMarkReachesThePriceAndLosesTheWholeMargin) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.1"), d("50000"), 1000));
    const auto changes = p.on_price("BTCUSDT", d("45125"), 2000);
    ASSERT_EQ(changes.trades.size(), 1u);
    const Trade& t = changes.trades[0];
    EXPECT_EQ(t.close_reason, CloseReason::kLiquidation);
    EXPECT_EQ(t.exit_price, d("45125"));
    EXPECT_EQ(t.realized_pnl, d("-500"));
    EXPECT_EQ(t.margin, d("500"));
    EXPECT_EQ(p.position("BTCUSDT"), nullptr);
    EXPECT_EQ(p.account().balance, d("9498"));  // 10,000 - 2 fee - 500 margin
}

TEST(PortfolioLiquidation, AGapBeyondThePriceStillLosesOnlyTheMargin) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.1"), d("50000"), 1000));
    const auto changes = p.on_price("BTCUSDT", d("30000"), 2000);
    EXPECT_EQ(changes.trades[0].exit_price, d("45125"));
    EXPECT_EQ(changes.trades[0].realized_pnl, d("-500"));
    EXPECT_EQ(p.account().balance, d("9498"));
}

TEST(PortfolioLiquidation, ShortIsLiquidatedAboveItsEntry) {
    Portfolio p = exact();
    // short 0.1 @ 50,000 at 50x: margin 100; liq 50,000 * 50.9 / 50 = 50,900
    ASSERT_TRUE(p.place_order(market(Side::kSell, "0.1", 50), d("50000"), 1000));
    EXPECT_TRUE(p.on_price("BTCUSDT", d("50899.9"), 2000).empty());
    const auto changes = p.on_price("BTCUSDT", d("50900"), 3000);
    ASSERT_EQ(changes.trades.size(), 1u);
    EXPECT_EQ(changes.trades[0].realized_pnl, d("-100"));
}

TEST(PortfolioLiquidation, LiquidationFillChargesNoFee) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.1"), d("50000"), 1000));
    const auto changes = p.on_price("BTCUSDT", d("45000"), 2000);
    ASSERT_EQ(changes.fills.size(), 1u);
    EXPECT_EQ(changes.fills[0].fee, d("0"));
    EXPECT_EQ(changes.trades[0].fees, d("2"));  // the opening fee only
}

TEST(PortfolioLiquidation, APositionOpenedOnAGapBeyondItsLiquidationIsLiquidatedOnTheSameTick) {
    Portfolio p = exact();
    // sell limit 0.1 @ 50,000 at 50x rests under a 49,000 market; the price gaps to 52,000.
    // It fills at 50,000 (margin 100) whose liquidation price is 50,000 * 50.9 / 50 = 50,900.
    ASSERT_TRUE(p.place_order(limit(Side::kSell, "0.1", "50000", 50), d("49000"), 1000));
    const auto changes = p.on_price("BTCUSDT", d("52000"), 2000);
    ASSERT_EQ(changes.fills.size(), 2u);
    EXPECT_EQ(changes.fills[0].price, d("50000"));
    EXPECT_EQ(changes.fills[1].price, d("50900"));
    ASSERT_EQ(changes.trades.size(), 1u);
    EXPECT_EQ(changes.trades[0].close_reason, CloseReason::kLiquidation);
    EXPECT_EQ(changes.trades[0].realized_pnl, d("-100"));
    EXPECT_EQ(p.position("BTCUSDT"), nullptr);
}

// ---- Protection -----------------------------------------------------------------------

OrderRequest protected_long(std::optional<const char*> sl, std::optional<const char*> tp,
                            std::optional<const char*> trailing = std::nullopt) {
    OrderRequest r = market(Side::kBuy, "0.1");
    if (sl) {
        r.stop_loss = d(*sl);
    }
    if (tp) {
        r.take_profit = d(*tp);
    }
    if (trailing) {
        r.trailing_stop_pct = d(*trailing);
    }
    return r;
}

TEST(PortfolioProtection, StopLossFiresAtThePriceReached) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(protected_long("49000", std::nullopt), d("50000"), 1000));
    EXPECT_TRUE(p.on_price("BTCUSDT", d("49000.1"), 2000).empty());
    const auto changes = p.on_price("BTCUSDT", d("48950"), 3000);
    ASSERT_EQ(changes.trades.size(), 1u);
    EXPECT_EQ(changes.trades[0].close_reason, CloseReason::kStopLoss);
    EXPECT_EQ(changes.trades[0].exit_price, d("48950"));
    EXPECT_EQ(changes.trades[0].realized_pnl, d("-105"));  // -1,050 * 0.1
    EXPECT_EQ(changes.trades[0].fees, d("3.958"));         // 2 + 4,895 * 0.04%
}

TEST(PortfolioProtection, TakeProfitFiresAtThePriceReached) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(protected_long(std::nullopt, "52000"), d("50000"), 1000));
    const auto changes = p.on_price("BTCUSDT", d("52000"), 2000);
    ASSERT_EQ(changes.trades.size(), 1u);
    EXPECT_EQ(changes.trades[0].close_reason, CloseReason::kTakeProfit);
    EXPECT_EQ(changes.trades[0].realized_pnl, d("200"));
}

TEST(PortfolioProtection, TrailingAnchorRatchetsOnlyInTheFavourableDirection) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(protected_long(std::nullopt, std::nullopt, "2"), d("50000"), 1000));
    EXPECT_EQ(p.position("BTCUSDT")->trailing_anchor, d("50000"));
    const auto up = p.on_price("BTCUSDT", d("52000"), 2000);
    EXPECT_EQ(up.positions.size(), 1u);
    EXPECT_EQ(p.position("BTCUSDT")->trailing_anchor, d("52000"));
    EXPECT_TRUE(p.on_price("BTCUSDT", d("51500"), 3000).empty());
    EXPECT_EQ(p.position("BTCUSDT")->trailing_anchor, d("52000"));
}

TEST(PortfolioProtection, TrailingStopFiresThePercentBelowTheAnchor) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(protected_long(std::nullopt, std::nullopt, "2"), d("50000"), 1000));
    p.on_price("BTCUSDT", d("52000"), 2000);
    // stop = 52,000 * 0.98 = 50,960
    EXPECT_TRUE(p.on_price("BTCUSDT", d("50960.1"), 3000).empty());
    const auto changes = p.on_price("BTCUSDT", d("50960"), 4000);
    ASSERT_EQ(changes.trades.size(), 1u);
    EXPECT_EQ(changes.trades[0].close_reason, CloseReason::kTrailingStop);
    EXPECT_EQ(changes.trades[0].realized_pnl, d("96"));  // 960 * 0.1
}

TEST(PortfolioProtection, ShortTrailingAnchorFollowsThePriceDown) {
    Portfolio p = exact();
    OrderRequest r = market(Side::kSell, "0.1");
    r.trailing_stop_pct = d("1");
    ASSERT_TRUE(p.place_order(r, d("50000"), 1000));
    p.on_price("BTCUSDT", d("48000"), 2000);
    EXPECT_EQ(p.position("BTCUSDT")->trailing_anchor, d("48000"));
    p.on_price("BTCUSDT", d("48400"), 3000);  // 48,000 * 1.01 = 48,480 not reached
    EXPECT_EQ(p.position("BTCUSDT")->trailing_anchor, d("48000"));
    const auto changes = p.on_price("BTCUSDT", d("48480"), 4000);
    ASSERT_EQ(changes.trades.size(), 1u);
    EXPECT_EQ(changes.trades[0].close_reason, CloseReason::kTrailingStop);
}

TEST(PortfolioProtection, SetProtectionLaterValidatesAgainstTheCurrentPrice) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.1"), d("50000"), 1000));
    ProtectionUpdate update;
    update.stop_loss = d("51000");
    const auto refused = p.set_protection("BTCUSDT", update, d("50500"), 2000);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, OrderErrorCode::kInvalidStopLoss);
    EXPECT_EQ(refused.error().field, "stop_loss");
    // after a rally to 52,000 the same stop is below the price and allowed
    const auto accepted = p.set_protection("BTCUSDT", update, d("52000"), 3000);
    ASSERT_TRUE(accepted);
    EXPECT_EQ(p.position("BTCUSDT")->stop_loss, d("51000"));
    EXPECT_EQ(accepted->positions.size(), 1u);
}

TEST(PortfolioProtection, SetProtectionClearsAFieldGivenAsNull) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(protected_long("49000", "52000"), d("50000"), 1000));
    ProtectionUpdate update;
    update.stop_loss = std::optional<Decimal>{};
    ASSERT_TRUE(p.set_protection("BTCUSDT", update, d("50000"), 2000));
    EXPECT_FALSE(p.position("BTCUSDT")->stop_loss);
    EXPECT_EQ(p.position("BTCUSDT")->take_profit, d("52000"));  // absent: unchanged
}

TEST(PortfolioProtection, SettingATrailingStopAnchorsItAtTheCurrentPrice) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.1"), d("50000"), 1000));
    ProtectionUpdate update;
    update.trailing_stop_pct = d("5");
    ASSERT_TRUE(p.set_protection("BTCUSDT", update, d("51000"), 2000));
    EXPECT_EQ(p.position("BTCUSDT")->trailing_anchor, d("51000"));
}

// ---- Trigger band ----------------------------------------------------------------------

TEST(PortfolioTriggerBand, IsEmptyForASymbolWithNothingInIt) {
    Portfolio p = exact();
    EXPECT_EQ(p.trigger_band("BTCUSDT"), TriggerBand{});
    EXPECT_FALSE(TriggerBand{}.acts_at(d("1")));
}

TEST(PortfolioTriggerBand, IsTheNearestTriggerOnEachSide) {
    Portfolio p = exact();
    // long liquidation 45,125 < resting buy 48,000 < stop-loss 49,000 (nearest below);
    // buy stop 51,000 < take-profit 52,000 (nearest above)
    ASSERT_TRUE(p.place_order(protected_long("49000", "52000"), d("50000"), 1000));
    ASSERT_TRUE(p.place_order(limit(Side::kBuy, "0.1", "48000"), d("50000"), 1000));
    ASSERT_TRUE(p.place_order(stop_limit(Side::kBuy, "0.1", "51000", "51100"), d("50000"), 1000));
    const TriggerBand band = p.trigger_band("BTCUSDT");
    EXPECT_EQ(band.lower, d("49000"));
    EXPECT_EQ(band.upper, d("51000"));
    EXPECT_FALSE(band.acts_at(d("50000")));
    EXPECT_TRUE(band.acts_at(d("49000")));
    EXPECT_TRUE(band.acts_at(d("51000")));
}

TEST(PortfolioTriggerBand, IncludesAnyPriceThatWouldRatchetTheTrailingAnchor) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(protected_long(std::nullopt, std::nullopt, "2"), d("50000"), 1000));
    const TriggerBand band = p.trigger_band("BTCUSDT");
    EXPECT_EQ(band.upper, d("50000.00000001"));
    EXPECT_EQ(band.lower, d("49000"));  // the trailing stop, above the liquidation price
}

// ---- Funding --------------------------------------------------------------------------

TEST(PortfolioFunding, ChargesALongOncePerEightHourPeriod) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.1"), d("50000"), 1000));  // period 0
    const Decimal before = p.account().balance;
    const auto first = p.apply_funding("BTCUSDT", d("51000"), d("0.0001"), 28'800'000);
    ASSERT_EQ(first->funding.size(), 1u);
    EXPECT_EQ(first->funding[0].amount, d("0.51"));  // 0.1 * 51,000 * 0.01%
    EXPECT_EQ(p.account().balance, *checked_sub(before, d("0.51")));
    const auto second = p.apply_funding("BTCUSDT", d("51000"), d("0.0001"), 28'800'000 + 60'000);
    EXPECT_TRUE(second->empty());
    EXPECT_EQ(p.account().funding_paid, d("0.51"));
}

TEST(PortfolioFunding, PaysAShortWhenTheRateIsPositive) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(market(Side::kSell, "0.1"), d("50000"), 1000));
    const Decimal before = p.account().balance;
    ASSERT_TRUE(p.apply_funding("BTCUSDT", d("51000"), d("0.0001"), 28'800'000));
    EXPECT_EQ(p.account().balance, *checked_add(before, d("0.51")));
}

TEST(PortfolioFunding, SkipsAPositionOpenedAfterThePeriodStarted) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.1"), d("50000"), 28'800'001));
    EXPECT_TRUE(p.apply_funding("BTCUSDT", d("50000"), d("0.0001"), 28'800'005)->empty());
    EXPECT_FALSE(p.apply_funding("BTCUSDT", d("50000"), d("0.0001"), 57'600'000)->empty());
}

TEST(PortfolioFunding, WithoutAPositionChangesNothing) {
    Portfolio p = exact();
    EXPECT_TRUE(p.apply_funding("BTCUSDT", d("50000"), d("0.0001"), 28'800'000)->empty());
}

// ---- Account view and reset -------------------------------------------------------------

TEST(PortfolioAccount, ViewWithoutPositionsHasNoMarginLevel) {
    Portfolio p = exact();
    const auto v = p.view();
    EXPECT_EQ(v->equity, d("10000"));
    EXPECT_EQ(v->free_margin, d("10000"));
    EXPECT_FALSE(v->margin_level);
    EXPECT_EQ(v->currency, "USDT");
}

TEST(PortfolioAccount, EquityIncludesUnrealizedPnlAtTheMarks) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.1"), d("50000"), 1000));  // fee 2
    const auto v = p.view(MarkPrices{{"BTCUSDT", d("51000")}});
    EXPECT_EQ(v->balance, d("9998"));
    EXPECT_EQ(v->unrealized_pnl, d("100"));
    EXPECT_EQ(v->equity, d("10098"));
    EXPECT_EQ(v->margin_used, d("500"));
    EXPECT_EQ(v->free_margin, d("9598"));
    EXPECT_EQ(v->margin_level, d("20.196"));  // 10,098 / 500
    EXPECT_EQ(v->fees_paid, d("2"));
}

TEST(PortfolioAccount, ViewUsesTheLastPriceSeen) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(market(Side::kSell, "0.1"), d("50000"), 1000));
    p.on_price("BTCUSDT", d("49000"), 2000);
    EXPECT_EQ(p.view()->unrealized_pnl, d("100"));
}

TEST(PortfolioAccount, ResetRestoresTheInitialBalanceAndClosesEverything) {
    Portfolio p = exact();
    ASSERT_TRUE(p.place_order(market(Side::kBuy, "0.1"), d("50000"), 1000));
    ASSERT_TRUE(p.place_order(limit(Side::kBuy, "0.1", "40000", 10), d("50000"), 1000));
    ASSERT_TRUE(p.close_position("BTCUSDT", d("0.05"), d("45600"), CloseReason::kManual, 1500));
    const auto changes = p.reset(2000);
    EXPECT_EQ(changes.closed_positions, std::vector<std::string>{"BTCUSDT"});
    ASSERT_EQ(changes.orders.size(), 1u);
    EXPECT_EQ(changes.orders[0].status, OrderStatus::kCancelled);
    EXPECT_TRUE(changes.account_changed);
    EXPECT_EQ(p.account().balance, d("10000"));
    EXPECT_EQ(p.account().realized_pnl, d("0"));
    EXPECT_EQ(p.account().fees_paid, d("0"));
    EXPECT_TRUE(p.state().positions.empty());
    EXPECT_TRUE(p.state().open_orders.empty());
}

TEST(PortfolioAccount, ChangesNameTheOrderFirstAndTheAccount) {
    Portfolio p = exact();
    const auto changes = p.place_order(market(Side::kBuy, "0.1"), d("50000"), 1000);
    ASSERT_EQ(changes->orders.size(), 1u);
    EXPECT_EQ(changes->orders[0].id, "id1");
    EXPECT_EQ(changes->orders[0].user_id, "u1");
    EXPECT_EQ(changes->positions.size(), 1u);
    EXPECT_EQ(changes->positions[0].user_id, "u1");
    EXPECT_TRUE(changes->account_changed);
}

TEST(Changes, LatestTimeIsTheNewestOfAllChangedRecords) {
    Changes changes;
    EXPECT_EQ(changes.latest_ms(), 0);
    changes.orders.emplace_back().updated_ms = 500;
    changes.positions.emplace_back().updated_ms = 700;
    changes.trades.emplace_back().closed_ms = 900;
    changes.funding.emplace_back().time_ms = 300;
    EXPECT_EQ(changes.latest_ms(), 900);
    changes.funding.emplace_back().time_ms = 1200;
    EXPECT_EQ(changes.latest_ms(), 1200);
}

}  // namespace
}  // namespace botcore::domain
