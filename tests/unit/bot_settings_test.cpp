#include "analysis/bot_settings.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "analysis_test_support.hpp"

namespace botcore::analysis {
namespace {

std::string invalid_field(const BotSettings& s) {
    const auto result = validate(s);
    return result ? std::string("(valid)") : result.error().field;
}

TEST(BotSettings, DefaultsAreTheDocumentedOnesAndValid) {
    const auto s = defaults();
    EXPECT_FALSE(s.enabled);
    EXPECT_EQ(s.symbols, std::vector<std::string>{"BTCUSDT"});
    EXPECT_EQ(s.strategies, StrategySet::all());
    EXPECT_EQ(s.combination_mode, CombinationMode::kConsensus);
    EXPECT_EQ(s.timeframe, market::Interval::k15m);
    EXPECT_EQ(s.leverage, 3);
    EXPECT_EQ(s.position_size_pct, d("5"));
    EXPECT_EQ(s.stop_loss_pct, d("2"));
    EXPECT_EQ(s.take_profit_pct, d("4"));
    EXPECT_EQ(s.daily_loss_limit_pct, d("3"));
    EXPECT_EQ(s.max_consecutive_losses, 3);
    EXPECT_EQ(s.cooldown_minutes, 60);
    EXPECT_TRUE(validate(s));
}

struct Case {
    const char* name;
    std::function<void(BotSettings&)> change;
    const char* field;  // "(valid)" when the change keeps the settings valid
};

TEST(BotSettings, ValidateNamesTheInvalidField) {
    const std::vector<Case> cases = {
        {"no symbols", [](BotSettings& s) { s.symbols.clear(); }, "symbols"},
        {"21 symbols", [](BotSettings& s) { s.symbols.assign(21, "BTCUSDT"); }, "symbols"},
        {"twenty catalog symbols",
         [](BotSettings& s) {
             s.symbols.clear();
             for (const auto& spec : domain::SymbolCatalog::default_catalog().all()) {
                 s.symbols.push_back(spec.name);
             }
         },
         "(valid)"},
        {"unknown symbol",
         [](BotSettings& s) {
             s.symbols = {"BTCUSDT", "FOOUSDT"};
         },
         "symbols"},
        {"lower case symbol", [](BotSettings& s) { s.symbols = {"btcusdt"}; }, "symbols"},
        {"duplicate symbol",
         [](BotSettings& s) {
             s.symbols = {"ETHUSDT", "BTCUSDT", "ETHUSDT"};
         },
         "symbols"},
        {"no strategy", [](BotSettings& s) { s.strategies = {}; }, "strategies"},
        {"one strategy",
         [](BotSettings& s) { s.strategies = StrategySet{}.insert(Strategy::kRsi); }, "(valid)"},
        {"1m timeframe", [](BotSettings& s) { s.timeframe = market::Interval::k1m; }, "timeframe"},
        {"1h timeframe", [](BotSettings& s) { s.timeframe = market::Interval::k1h; }, "(valid)"},
        {"leverage 0", [](BotSettings& s) { s.leverage = 0; }, "leverage"},
        {"leverage 1", [](BotSettings& s) { s.leverage = 1; }, "(valid)"},
        {"leverage above bitcoin's 125",
         [](BotSettings& s) {
             s.leverage = 126;
             s.stop_loss_pct = d("0.1");
         },
         "leverage"},
        {"position size 0", [](BotSettings& s) { s.position_size_pct = d("0"); },
         "position_size_pct"},
        {"position size negative", [](BotSettings& s) { s.position_size_pct = d("-5"); },
         "position_size_pct"},
        {"position size 100", [](BotSettings& s) { s.position_size_pct = d("100"); }, "(valid)"},
        {"position size above 100", [](BotSettings& s) { s.position_size_pct = d("100.00000001"); },
         "position_size_pct"},
        {"stop loss 0", [](BotSettings& s) { s.stop_loss_pct = d("0"); }, "stop_loss_pct"},
        {"stop loss above 50",
         [](BotSettings& s) {
             s.leverage = 1;
             s.stop_loss_pct = d("50.00000001");
         },
         "stop_loss_pct"},
        {"stop loss 50 at 1x",
         [](BotSettings& s) {
             s.leverage = 1;
             s.stop_loss_pct = d("50");
         },
         "(valid)"},
        {"take profit 0", [](BotSettings& s) { s.take_profit_pct = d("0"); }, "take_profit_pct"},
        {"take profit 500", [](BotSettings& s) { s.take_profit_pct = d("500"); }, "(valid)"},
        {"take profit above 500", [](BotSettings& s) { s.take_profit_pct = d("500.1"); },
         "take_profit_pct"},
        {"daily limit 0", [](BotSettings& s) { s.daily_loss_limit_pct = d("0"); },
         "daily_loss_limit_pct"},
        {"daily limit 100", [](BotSettings& s) { s.daily_loss_limit_pct = d("100"); }, "(valid)"},
        {"daily limit above 100", [](BotSettings& s) { s.daily_loss_limit_pct = d("101"); },
         "daily_loss_limit_pct"},
        {"no loss allowed", [](BotSettings& s) { s.max_consecutive_losses = 0; },
         "max_consecutive_losses"},
        {"101 losses", [](BotSettings& s) { s.max_consecutive_losses = 101; },
         "max_consecutive_losses"},
        {"no cooldown", [](BotSettings& s) { s.cooldown_minutes = 0; }, "cooldown_minutes"},
        {"a week of cooldown", [](BotSettings& s) { s.cooldown_minutes = 7 * 24 * 60; }, "(valid)"},
        {"more than a week", [](BotSettings& s) { s.cooldown_minutes = 7 * 24 * 60 + 1; },
         "cooldown_minutes"},
    };
    for (const auto& c : cases) {
        auto s = defaults();
        c.change(s);
        EXPECT_EQ(invalid_field(s), c.field) << c.name;
    }
}

TEST(BotSettings, LeverageIsLimitedByTheLowestMaxOfTheSymbols) {
    auto s = defaults();
    s.symbols = {"BTCUSDT", "SOLUSDT"};  // 125x and 50x
    s.stop_loss_pct = d("1");            // below the 1.8% that liquidates at 50x
    s.leverage = 50;
    EXPECT_TRUE(validate(s));
    s.leverage = 51;
    const auto result = validate(s);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().field, "leverage");
    EXPECT_NE(result.error().message.find("50"), std::string::npos) << result.error().message;
}

TEST(BotSettings, TheStopLossMustFireBeforeLiquidation) {
    // At 20x the maintenance rate is 5%: liquidated 100 * 0.95 / 20 = 4.75% away from entry.
    auto s = defaults();
    s.leverage = 20;
    s.stop_loss_pct = d("4.75");
    EXPECT_EQ(invalid_field(s), "stop_loss_pct");
    s.stop_loss_pct = d("4.74");
    EXPECT_TRUE(validate(s));
}

TEST(BotSettings, TheFirstInvalidFieldIsReported) {
    auto s = defaults();
    s.leverage = 0;
    s.position_size_pct = d("0");
    s.cooldown_minutes = 0;
    EXPECT_EQ(invalid_field(s), "leverage");
}

TEST(BotSettings, AnotherCatalogCanBeUsed) {
    const domain::SymbolCatalog catalog({{"FOOUSDT", d("0.1"), d("1"), d("5"), 10}});
    auto s = defaults();
    s.symbols = {"FOOUSDT"};
    EXPECT_TRUE(validate(s, catalog));
    s.symbols = {"BTCUSDT"};
    EXPECT_FALSE(validate(s, catalog));
}

TEST(ParseStrategies, NamesBecomeASet) {
    const std::vector<std::string_view> names{"volume", "rsi"};
    const auto set = parse_strategies(names);
    ASSERT_TRUE(set);
    EXPECT_EQ(set->size(), 2);
    EXPECT_TRUE(set->contains(Strategy::kRsi));
    EXPECT_TRUE(set->contains(Strategy::kVolume));
}

TEST(ParseStrategies, UnknownRepeatedOrNoNamesAreErrorsOnStrategies) {
    for (const auto& names : std::vector<std::vector<std::string_view>>{
             {"rsi", "ema"}, {"macd", "macd"}, {}, {"Rsi"}}) {
        const auto set = parse_strategies(names);
        ASSERT_FALSE(set);
        EXPECT_EQ(set.error().field, "strategies");
    }
}

}  // namespace
}  // namespace botcore::analysis
