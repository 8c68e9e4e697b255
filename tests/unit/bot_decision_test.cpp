#include "analysis/bot_decision.hpp"

#include <gtest/gtest.h>

#include "analysis_test_support.hpp"
#include "domain/decimal_math.hpp"
#include "domain/margin.hpp"
#include "domain/slippage.hpp"

namespace botcore::analysis {
namespace {

using domain::Side;

constexpr std::int64_t kToday = 20'000;
constexpr std::int64_t kNow = kToday * kDayMs + 12 * 3'600'000;  // noon UTC

BotSettings enabled_settings() {
    auto s = defaults();
    s.enabled = true;
    s.symbols = {"BTCUSDT", "SOLUSDT", "DOGEUSDT"};
    return s;
}

StrategyVotes three_votes(Direction direction, double confidence = 0.8) {
    StrategyVotes votes;
    for (const auto s : {Strategy::kRsi, Strategy::kMacd, Strategy::kBollinger}) {
        votes[s].direction = direction;
        votes[s].confidence = confidence;
    }
    return votes;
}

const StrategyVotes kBullish = three_votes(Direction::kBullish);
const StrategyVotes kBearish = three_votes(Direction::kBearish);

std::expected<BotOrder, SkipReason> decide_btc(const BotSettings& settings, const BotState& state,
                                               const StrategyVotes& votes, const char* equity,
                                               const char* price, std::int64_t now = kNow) {
    return decide(settings, state, "BTCUSDT", votes, d(equity), d(price), now);
}

// --- sizing and protection ----------------------------------------------------------------------

TEST(Decide, ABullishConsensusBuysFivePercentOfEquityAtThreeTimes) {
    const auto order = decide_btc(enabled_settings(), {}, kBullish, "10000", "50000");
    ASSERT_TRUE(order) << to_string(order.error());
    EXPECT_EQ(order->symbol, "BTCUSDT");
    EXPECT_EQ(order->side, Side::kBuy);
    // margin 500, notional 1500, 1500 / 50000
    EXPECT_EQ(order->quantity, d("0.03"));
    EXPECT_EQ(order->leverage, 3);
    EXPECT_EQ(order->stop_loss, d("49000"));
    EXPECT_EQ(order->take_profit, d("52000"));
    EXPECT_EQ(order->vote.direction, Direction::kBullish);
    EXPECT_NEAR(order->vote.confidence, 0.8, 1e-12);
    EXPECT_EQ(order->vote.agreeing, 3);
}

TEST(Decide, QuantityRoundsDownToTheStepAndPricesToTheTickTowardThePrice) {
    const auto order = decide_btc(enabled_settings(), {}, kBullish, "10000", "43210.7");
    ASSERT_TRUE(order);
    // 1500 / 43210.7 = 0.03471...
    EXPECT_EQ(order->quantity, d("0.034"));
    // 43210.7 * 0.98 = 42346.486 up to 42346.5; * 1.04 = 44939.128 down to 44939.1
    EXPECT_EQ(order->stop_loss, d("42346.5"));
    EXPECT_EQ(order->take_profit, d("44939.1"));
}

TEST(Decide, ABearishConsensusSellsWithTheStopAbove) {
    const auto order = decide_btc(enabled_settings(), {}, kBearish, "10000", "43210.7");
    ASSERT_TRUE(order);
    EXPECT_EQ(order->side, Side::kSell);
    EXPECT_EQ(order->quantity, d("0.034"));
    // 43210.7 * 1.02 = 44074.914 down to 44074.9; * 0.96 = 41482.272 up to 41482.3
    EXPECT_EQ(order->stop_loss, d("44074.9"));
    EXPECT_EQ(order->take_profit, d("41482.3"));
}

TEST(Decide, ProtectionStaysOffThePriceWhenTheTickIsCoarse) {
    // DOGE ticks 0.00001: 2% and 4% of 0.0001 are less than a tick.
    const auto order =
        decide(enabled_settings(), {}, "DOGEUSDT", kBullish, d("10000"), d("0.0001"), kNow);
    ASSERT_TRUE(order);
    EXPECT_EQ(order->stop_loss, d("0.00009"));
    EXPECT_EQ(order->take_profit, d("0.00011"));
    EXPECT_EQ(order->quantity, d("15000000"));
}

TEST(Decide, AShortHasNoTakeProfitAtHundredPercentOrMore) {
    auto s = enabled_settings();
    s.take_profit_pct = d("150");
    const auto short_order = decide_btc(s, {}, kBearish, "10000", "50000");
    ASSERT_TRUE(short_order);
    EXPECT_FALSE(short_order->take_profit);
    EXPECT_EQ(short_order->stop_loss, d("51000"));
    const auto long_order = decide_btc(s, {}, kBullish, "10000", "50000");
    ASSERT_TRUE(long_order);
    EXPECT_EQ(long_order->take_profit, d("125000"));
}

TEST(Decide, LeverageIsCappedAtTheSymbolsMax) {
    auto s = enabled_settings();
    s.leverage = 75;  // SOL allows 50
    const auto order = decide(s, {}, "SOLUSDT", kBullish, d("10000"), d("150"), kNow);
    ASSERT_TRUE(order);
    EXPECT_EQ(order->leverage, 50);
    // 500 * 50 / 150 = 166.666... down to the 0.01 step
    EXPECT_EQ(order->quantity, d("166.66"));
    // 2% below would be 147, beyond where 50x liquidates a fill slipped to 150.02
    // (150.02 * (1 - 0.9 / 50) = 147.3196...): a tick inside that instead.
    EXPECT_EQ(order->stop_loss, d("147.32"));
    EXPECT_EQ(order->take_profit, d("156"));
}

// A 0.67% stop at 125x is inside the 0.68% that liquidates from the price, but not from a fill
// that slipped: the stop moves just inside the liquidation price of the worst fill.
TEST(Decide, AStopBeyondTheLiquidationOfASlippedFillIsMovedInsideIt) {
    auto s = enabled_settings();
    s.leverage = 125;
    s.stop_loss_pct = d("0.67");
    const auto order = decide_btc(s, {}, kBullish, "10000", "50000");
    ASSERT_TRUE(order) << to_string(order.error());
    const auto tick = domain::SymbolCatalog::default_catalog().find("BTCUSDT")->tick_size;
    const auto fill =
        domain::SlippageModel{}.fill_price(domain::Side::kBuy, d("50000"), order->quantity, tick);
    ASSERT_TRUE(fill);
    EXPECT_GT(*fill, d("50000"));
    const auto liquidation = domain::liquidation_price(domain::PositionSide::kLong, *fill, 125);
    ASSERT_TRUE(liquidation);
    EXPECT_GT(order->stop_loss, *liquidation);
    EXPECT_LE(order->stop_loss, domain::checked_add(*liquidation, tick).value());
    EXPECT_LT(order->stop_loss, d("50000"));
    // A stop already inside it is kept: 0.5% at 125x.
    s.stop_loss_pct = d("0.5");
    EXPECT_EQ(decide_btc(s, {}, kBullish, "10000", "50000")->stop_loss, d("49750"));
}

TEST(Decide, BelowTheMinNotionalIsTooSmall) {
    // margin 33.3335, notional 100.0005: 0.002 BTC is exactly the 100 USDT minimum
    const auto at_min = decide_btc(enabled_settings(), {}, kBullish, "666.67", "50000");
    ASSERT_TRUE(at_min);
    EXPECT_EQ(at_min->quantity, d("0.002"));
    // notional 99.9 rounds down to 0.001 BTC = 50 USDT
    EXPECT_EQ(decide_btc(enabled_settings(), {}, kBullish, "666", "50000").error(),
              SkipReason::kTooSmall);
    EXPECT_EQ(decide_btc(enabled_settings(), {}, kBullish, "10", "50000").error(),
              SkipReason::kTooSmall);
}

TEST(Decide, NonPositiveEquityIsTooSmallAndNonPositivePriceInvalid) {
    EXPECT_EQ(decide_btc(enabled_settings(), {}, kBullish, "0", "50000").error(),
              SkipReason::kTooSmall);
    EXPECT_EQ(decide_btc(enabled_settings(), {}, kBullish, "-5", "50000").error(),
              SkipReason::kTooSmall);
    EXPECT_EQ(decide_btc(enabled_settings(), {}, kBullish, "10000", "0").error(),
              SkipReason::kInvalidInput);
}

TEST(Decide, TheOrderRequestIsAMarketOrderWithProtection) {
    const auto order = decide_btc(enabled_settings(), {}, kBullish, "10000", "50000");
    ASSERT_TRUE(order);
    const auto request = order->to_request();
    EXPECT_EQ(request.symbol, "BTCUSDT");
    EXPECT_EQ(request.side, Side::kBuy);
    EXPECT_EQ(request.type, domain::OrderType::kMarket);
    EXPECT_EQ(request.quantity, d("0.03"));
    EXPECT_EQ(request.leverage, 3);
    EXPECT_EQ(request.stop_loss, d("49000"));
    EXPECT_EQ(request.take_profit, d("52000"));
    EXPECT_FALSE(request.reduce_only);
    EXPECT_FALSE(request.price);
}

// --- reasons for doing nothing --------------------------------------------------------------

TEST(Decide, DisabledOrSymbolNotEnabled) {
    auto s = enabled_settings();
    EXPECT_EQ(decide(s, {}, "ETHUSDT", kBullish, d("10000"), d("3000"), kNow).error(),
              SkipReason::kSymbolNotEnabled);
    s.symbols.push_back("FOOUSDT");  // not in the catalog
    EXPECT_EQ(decide(s, {}, "FOOUSDT", kBullish, d("10000"), d("3000"), kNow).error(),
              SkipReason::kSymbolNotEnabled);
    s.enabled = false;
    EXPECT_EQ(decide_btc(s, {}, kBullish, "10000", "50000").error(), SkipReason::kDisabled);
}

TEST(Decide, OnePositionPerSymbol) {
    BotState state;
    state.open_positions = {"BTCUSDT"};
    EXPECT_EQ(decide_btc(enabled_settings(), state, kBullish, "10000", "50000").error(),
              SkipReason::kAlreadyInPosition);
    EXPECT_TRUE(decide(enabled_settings(), state, "SOLUSDT", kBullish, d("10000"), d("150"), kNow));
}

TEST(Decide, NoSignalWhenTheCombinedVoteIsNeutral) {
    EXPECT_EQ(decide_btc(enabled_settings(), {}, StrategyVotes{}, "10000", "50000").error(),
              SkipReason::kNoSignal);
    // consensus of all five needs 3: two agreeing votes are not enough
    auto two = kBullish;
    two[Strategy::kBollinger] = Vote{};
    EXPECT_EQ(decide_btc(enabled_settings(), {}, two, "10000", "50000").error(),
              SkipReason::kNoSignal);
}

TEST(Decide, TheSettingsModeAndStrategiesCombineTheVotes) {
    auto s = enabled_settings();
    s.strategies = StrategySet{}.insert(Strategy::kStochastic);
    EXPECT_EQ(decide_btc(s, {}, kBullish, "10000", "50000").error(), SkipReason::kNoSignal);

    auto votes = kBullish;
    votes[Strategy::kStochastic] = Vote{Direction::kBearish, 0.9};
    s.strategies = StrategySet::all();
    s.combination_mode = CombinationMode::kBestConfidence;
    const auto order = decide_btc(s, {}, votes, "10000", "50000");
    ASSERT_TRUE(order);
    EXPECT_EQ(order->side, Side::kSell);
    EXPECT_EQ(order->vote.confidence, 0.9);
}

TEST(Decide, CooldownUntilItsEnd) {
    BotState state;
    state.cooldown_until_ms = kNow + 1;
    EXPECT_EQ(decide_btc(enabled_settings(), state, kBullish, "10000", "50000").error(),
              SkipReason::kCooldown);
    state.cooldown_until_ms = kNow;
    EXPECT_TRUE(decide_btc(enabled_settings(), state, kBullish, "10000", "50000"));
}

TEST(Decide, DailyLossLimitOfTheStartOfDayEquity) {
    BotState state;
    state.day = kToday;
    state.start_of_day_equity = d("10000");
    state.realized_pnl_today = d("-299.99999999");  // 3% of 10000 is 300
    EXPECT_TRUE(decide_btc(enabled_settings(), state, kBullish, "9700", "50000"));
    state.realized_pnl_today = d("-300");
    EXPECT_EQ(decide_btc(enabled_settings(), state, kBullish, "9700", "50000").error(),
              SkipReason::kDailyLossLimit);
    // the limit is for today only
    EXPECT_TRUE(decide_btc(enabled_settings(), state, kBullish, "9700", "50000", kNow + kDayMs));
}

TEST(Decide, WithoutAStartOfDayEquityTheLossIsAddedBackToTheEquity) {
    BotState state;
    state.day = kToday;
    state.realized_pnl_today = d("-300");
    // 9700.5 + 300 = 10000.5, whose 3% is 300.015
    EXPECT_TRUE(decide_btc(enabled_settings(), state, kBullish, "9700.5", "50000"));
    // 9700 + 300 = 10000, whose 3% is 300
    EXPECT_EQ(decide_btc(enabled_settings(), state, kBullish, "9700", "50000").error(),
              SkipReason::kDailyLossLimit);
}

TEST(Decide, ReasonsComeInTheirOrder) {
    BotState everything;
    everything.open_positions = {"BTCUSDT"};
    everything.cooldown_until_ms = kNow + 1;
    everything.day = kToday;
    everything.start_of_day_equity = d("10000");
    everything.realized_pnl_today = d("-1000");
    auto s = enabled_settings();
    const StrategyVotes none;
    const auto reason = [&](const BotState& state) {
        return decide_btc(s, state, none, "10000", "0").error();
    };
    EXPECT_EQ(reason(everything), SkipReason::kAlreadyInPosition);
    everything.open_positions.clear();
    EXPECT_EQ(reason(everything), SkipReason::kCooldown);
    everything.cooldown_until_ms = 0;
    EXPECT_EQ(reason(everything), SkipReason::kDailyLossLimit);
    everything.realized_pnl_today = d("0");
    EXPECT_EQ(reason(everything), SkipReason::kNoSignal);
    s.enabled = false;
    EXPECT_EQ(reason(everything), SkipReason::kDisabled);
}

TEST(SkipReasonNames, AreSnakeCase) {
    EXPECT_EQ(to_string(SkipReason::kDisabled), "disabled");
    EXPECT_EQ(to_string(SkipReason::kSymbolNotEnabled), "symbol_not_enabled");
    EXPECT_EQ(to_string(SkipReason::kAlreadyInPosition), "already_in_position");
    EXPECT_EQ(to_string(SkipReason::kDailyLossLimit), "daily_loss_limit");
    EXPECT_EQ(to_string(SkipReason::kTooSmall), "too_small");
}

// --- state --------------------------------------------------------------------------------------

TEST(UtcDay, RoundsDown) {
    EXPECT_EQ(utc_day(0), 0);
    EXPECT_EQ(utc_day(kDayMs - 1), 0);
    EXPECT_EQ(utc_day(kDayMs), 1);
    EXPECT_EQ(utc_day(-1), -1);
    EXPECT_EQ(utc_day(-kDayMs), -1);
    EXPECT_EQ(utc_day(-kDayMs - 1), -2);
}

TEST(RecordTradeResult, SumsTheDayAndRestartsOnANewDay) {
    const auto s = enabled_settings();
    BotState state;
    state.day = kToday;
    state.start_of_day_equity = d("10000");
    record_trade_result(state, s, d("-100"), kNow);
    record_trade_result(state, s, d("30"), kNow + 1);
    EXPECT_EQ(state.realized_pnl_today, d("-70"));
    EXPECT_EQ(state.start_of_day_equity, d("10000"));
    record_trade_result(state, s, d("50"), kNow + kDayMs);
    EXPECT_EQ(state.day, kToday + 1);
    EXPECT_EQ(state.realized_pnl_today, d("50"));
    EXPECT_FALSE(state.start_of_day_equity);
    // a late trade of the previous day does not count for today
    record_trade_result(state, s, d("-20"), kNow);
    EXPECT_EQ(state.realized_pnl_today, d("50"));
}

TEST(RecordTradeResult, ConsecutiveLossesStartTheCooldown) {
    const auto s = enabled_settings();  // 3 losses, 60 minutes
    BotState state;
    record_trade_result(state, s, d("-1"), kNow);
    record_trade_result(state, s, d("-1"), kNow + 1000);
    EXPECT_EQ(state.consecutive_losses, 2);
    EXPECT_EQ(state.cooldown_until_ms, 0);
    record_trade_result(state, s, d("-1"), kNow + 2000);
    EXPECT_EQ(state.cooldown_until_ms, kNow + 2000 + 60 * 60'000);
    EXPECT_EQ(state.consecutive_losses, 0);
    EXPECT_EQ(decide_btc(s, state, kBullish, "10000", "50000", kNow + 3000).error(),
              SkipReason::kCooldown);
    EXPECT_TRUE(decide_btc(s, state, kBullish, "10000", "50000", kNow + 2000 + 3'600'000));
}

TEST(RecordTradeResult, AWinOrBreakEvenResetsTheStreak) {
    const auto s = enabled_settings();
    BotState state;
    record_trade_result(state, s, d("-1"), kNow);
    record_trade_result(state, s, d("-1"), kNow);
    record_trade_result(state, s, d("0"), kNow);
    record_trade_result(state, s, d("-1"), kNow);
    record_trade_result(state, s, d("-1"), kNow);
    EXPECT_EQ(state.consecutive_losses, 2);
    EXPECT_EQ(state.cooldown_until_ms, 0);
}

TEST(RecordTradeResult, TheDailyLimitFollowsRecordedLosses) {
    auto s = enabled_settings();
    s.max_consecutive_losses = 100;
    BotState state;
    roll_day(state, d("10000"), kNow);
    record_trade_result(state, s, d("-200"), kNow);
    EXPECT_TRUE(decide_btc(s, state, kBullish, "9800", "50000"));
    record_trade_result(state, s, d("-100"), kNow);
    EXPECT_EQ(decide_btc(s, state, kBullish, "9700", "50000").error(), SkipReason::kDailyLossLimit);
}

TEST(RollDay, StartsANewDayOnlyOnce) {
    BotState state;
    state.day = kToday - 1;
    state.realized_pnl_today = d("-500");
    roll_day(state, d("9500"), kNow);
    EXPECT_EQ(state.day, kToday);
    EXPECT_EQ(state.realized_pnl_today, d("0"));
    EXPECT_EQ(state.start_of_day_equity, d("9500"));
    state.realized_pnl_today = d("-10");
    roll_day(state, d("9000"), kNow + 1000);
    EXPECT_EQ(state.realized_pnl_today, d("-10"));
    EXPECT_EQ(state.start_of_day_equity, d("9500"));
}

}  // namespace
}  // namespace botcore::analysis
