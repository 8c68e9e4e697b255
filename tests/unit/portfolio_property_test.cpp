// Property tests: seeded random sequences of orders, closes, protection, funding and price
// moves; the book's invariants are checked after every step.
#include <gtest/gtest.h>
#include "domain_test_support.hpp"

#include <ostream>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "domain/decimal_math.hpp"
#include "domain/margin.hpp"
#include "domain/portfolio.hpp"

namespace botcore::domain {

namespace {

Decimal add(Decimal a, Decimal b) {
    return *checked_add(a, b);
}
Decimal sub(Decimal a, Decimal b) {
    return *checked_sub(a, b);
}

constexpr int kSequences = 200;
constexpr int kSteps = 200;

struct Market {
    std::string symbol;
    Decimal price;
    Decimal tick;
    Decimal step;
    std::int64_t max_steps;  // largest random quantity, in steps
};

enum class StepKind { kPrice, kOrder, kCancel, kClose, kProtect, kFunding };

// How often each path ran over all sequences, so the properties are known to be exercised.
struct Coverage {
    int maker_fills = 0;
    int taker_fills = 0;
    int stop_limit_fills = 0;
    std::map<CloseReason, int> closes;
    int flips = 0;
    int funding = 0;
    int margin_cancels = 0;  // resting orders cancelled at their fill for want of margin
};

class Simulation {
  public:
    Simulation(std::uint64_t seed, Coverage& coverage)
        : coverage_(coverage),
          rng_(seed),
          portfolio_(account(), ids(), SymbolCatalog::default_catalog(), SlippageModel{}) {
        markets_ = {{"BTCUSDT", d("50000"), d("0.1"), d("0.001"), 300},
                    {"ETHUSDT", d("3000"), d("0.01"), d("0.001"), 4000}};
    }

    void run() {
        for (int step = 0; step < kSteps && !::testing::Test::HasFailure(); ++step) {
            now_ += uniform(1, 3 * 3'600'000);
            before_ = portfolio_.state();
            Market& market = markets_[uniform(0, 1)];
            const Decimal previous = market.price;
            const auto [kind, changes] = act(market);
            check(kind, market, previous, changes);
            tally(kind, changes);
        }
    }

  private:
    static Account account() {
        Account a;
        a.user_id = "u";
        return a;
    }
    static Portfolio::IdSource ids() {
        auto next = std::make_shared<std::int64_t>(0);
        return [next] { return std::to_string(++*next); };
    }

    std::int64_t uniform(std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
    }
    // price * (1 + bp / 10,000), rounded to the tick, at least one tick.
    Decimal moved(const Market& m, std::int64_t bp) {
        const Decimal factor = Decimal::from_units(Decimal::kOne + bp * 10'000);
        const Decimal p =
            *round_to_step(*checked_mul(m.price, factor), m.tick, Rounding::kHalfEven);
        return std::max(p, m.tick);
    }

    std::pair<StepKind, Changes> act(Market& m) {
        const auto roll = uniform(0, 99);
        if (roll < 35) {
            // mostly small moves, sometimes a gap of up to 15%
            m.price = moved(m, uniform(0, 9) == 0 ? uniform(-1500, 1500) : uniform(-300, 300));
            const TriggerBand band = portfolio_.trigger_band(m.symbol);
            Changes changes = portfolio_.on_price(m.symbol, m.price, now_);
            // The band predicts exactly whether a price changes anything.
            EXPECT_EQ(changes.empty(), !band.acts_at(m.price)) << m.price.to_string();
            return {StepKind::kPrice, std::move(changes)};
        }
        if (roll < 75) {
            auto placed = portfolio_.place_order(random_order(m), m.price, now_);
            return {StepKind::kOrder, placed ? *placed : Changes{}};
        }
        if (roll < 82) {
            const auto& book = portfolio_.state().open_orders;
            if (book.empty()) {
                return {StepKind::kCancel, {}};
            }
            const std::string id = book[uniform(0, std::ssize(book) - 1)].id;
            return {StepKind::kCancel, *portfolio_.cancel_order(id, now_)};
        }
        if (roll < 89) {
            const Position* pos = portfolio_.position(m.symbol);
            std::optional<Decimal> qty;
            if (pos != nullptr && uniform(0, 1) == 0) {
                qty = *round_to_step(*checked_div_int(pos->quantity, 2), m.step, Rounding::kDown);
                if (*qty <= Decimal{}) {
                    qty.reset();
                }
            }
            auto closed =
                portfolio_.close_position(m.symbol, qty, m.price, CloseReason::kManual, now_);
            return {StepKind::kClose, closed ? *closed : Changes{}};
        }
        if (roll < 95) {
            ProtectionUpdate update;
            update.stop_loss = moved(m, uniform(-800, 800));
            update.take_profit = moved(m, uniform(-800, 800));
            if (uniform(0, 1) == 0) {
                update.trailing_stop_pct = Decimal::from_units(uniform(1, 60) * 10'000'000);
            }
            auto set = portfolio_.set_protection(m.symbol, update, m.price, now_);
            return {StepKind::kProtect, set ? *set : Changes{}};
        }
        const Decimal rate = Decimal::from_units(uniform(-30'000, 30'000));  // +-0.03%
        return {StepKind::kFunding, *portfolio_.apply_funding(m.symbol, m.price, rate, now_)};
    }

    OrderRequest random_order(const Market& m) {
        OrderRequest r;
        r.symbol = m.symbol;
        r.side = uniform(0, 1) == 0 ? Side::kBuy : Side::kSell;
        r.quantity = *checked_mul_int(m.step, uniform(1, m.max_steps));
        const Position* pos = portfolio_.position(m.symbol);
        if (uniform(0, 3) != 0) {  // else the default: the symbol's leverage, or 1
            r.leverage =
                pos != nullptr && uniform(0, 2) != 0
                    ? pos->leverage
                    : static_cast<int>(uniform(0, 1) == 0 ? uniform(1, 5) : uniform(1, 100));
        }
        r.reduce_only = uniform(0, 9) == 0;
        const auto type = uniform(0, 9);
        if (type >= 5 && type < 9) {
            r.type = OrderType::kLimit;
            r.price = moved(m, uniform(-300, 300));
        } else if (type == 9) {
            r.type = OrderType::kStopLimit;
            const bool buy = r.side == Side::kBuy;
            r.stop_price = moved(m, buy ? uniform(1, 300) : -uniform(1, 300));
            r.price = moved(m, buy ? uniform(0, 400) : -uniform(0, 400));
        }
        if (uniform(0, 4) == 0) {
            const bool buy = r.side == Side::kBuy;
            r.stop_loss = moved(m, buy ? -uniform(1, 500) : uniform(1, 500));
            r.take_profit = moved(m, buy ? uniform(1, 500) : -uniform(1, 500));
        }
        if (uniform(0, 9) == 0) {
            r.trailing_stop_pct = Decimal::from_units(uniform(1, 20) * 10'000'000);
        }
        return r;
    }

    void check(StepKind kind, const Market& market, Decimal previous, const Changes& changes) {
        const Account& before = before_.account;
        const Account& after = portfolio_.account();

        // Fees: each fill's fee is charged once and only fills charge fees.
        Decimal fill_fees;
        for (const auto& f : changes.fills) {
            fill_fees = add(fill_fees, f.fee);
            ASSERT_GE(f.fee, Decimal{});
        }
        ASSERT_EQ(sub(after.fees_paid, before.fees_paid), fill_fees);

        // Balance moves only by realized PnL, fees and funding.
        Decimal realized;
        for (const auto& t : changes.trades) {
            realized = add(realized, t.realized_pnl);
        }
        Decimal funding;
        for (const auto& f : changes.funding) {
            funding = add(funding, f.amount);
        }
        ASSERT_EQ(sub(after.realized_pnl, before.realized_pnl), realized);
        ASSERT_EQ(sub(after.funding_paid, before.funding_paid), funding);
        ASSERT_EQ(sub(after.balance, before.balance), sub(sub(realized, fill_fees), funding));
        ASSERT_EQ(after.balance,
                  sub(sub(add(after.initial_balance, after.realized_pnl), after.fees_paid),
                      after.funding_paid));

        // No trade loses more than the margin it releases; a liquidation loses exactly all of
        // it, and liquidates the whole position.
        for (const auto& t : changes.trades) {
            ASSERT_GT(t.margin, Decimal{});
            ASSERT_GE(add(t.realized_pnl, t.margin), Decimal{});
            if (t.close_reason == CloseReason::kLiquidation) {
                ASSERT_EQ(t.realized_pnl, sub(Decimal{}, t.margin));
                ASSERT_FALSE(portfolio_.position(t.symbol) != nullptr &&
                             portfolio_.position(t.symbol)->trade_id == t.position_id);
            }
            const auto was = before_.positions.find(t.symbol);
            if (was != before_.positions.end() && was->second.trade_id == t.position_id &&
                t.quantity == was->second.quantity) {
                ASSERT_EQ(t.margin, was->second.margin);
            }
        }

        // No fill at a price the market did not reach.
        const Decimal lo = std::min(previous, market.price);
        const Decimal hi = std::max(previous, market.price);
        const Decimal max_slip =
            add(*checked_mul(market.price, d("0.005"), Rounding::kUp), market.tick);
        for (const auto& f : changes.fills) {
            ASSERT_EQ(f.symbol, market.symbol);
            const bool taker_order = f.liquidity == Liquidity::kTaker && !f.order_id.empty();
            const bool slipped_close = kind == StepKind::kClose && f.fee > Decimal{};
            if (taker_order || slipped_close) {
                // executed against the market: within the slippage cap, against the taker
                if (f.side == Side::kBuy) {
                    ASSERT_GE(f.price, market.price);
                    ASSERT_LE(f.price, add(market.price, max_slip));
                } else {
                    ASSERT_LE(f.price, market.price);
                    ASSERT_GE(f.price, sub(market.price, max_slip));
                }
            } else if (kind == StepKind::kPrice) {
                // resting limits, stops and liquidations: on the path the price travelled
                ASSERT_GE(f.price, lo) << to_string(f.side);
                ASSERT_LE(f.price, hi) << to_string(f.side);
            } else {
                // a close at or beyond the liquidation price happens at the liquidation price
                ASSERT_EQ(kind, StepKind::kClose);
                const auto& was = before_.positions.at(f.symbol);
                ASSERT_EQ(f.price, liquidation_price(was.side, was.entry_price, was.leverage));
            }
        }

        // Margin is never negative; positions are never empty.
        for (const auto& [symbol, p] : portfolio_.state().positions) {
            ASSERT_GT(p.quantity, Decimal{});
            ASSERT_GT(p.margin, Decimal{});
            ASSERT_GE(p.open_fees, Decimal{});
        }
        Decimal reserved;
        for (const auto& o : portfolio_.state().open_orders) {
            ASSERT_GE(o.reserved_margin, Decimal{});
            reserved = add(reserved, o.reserved_margin);
        }

        // Equity is balance plus unrealized PnL at the current prices.
        MarkPrices marks;
        for (const auto& m : markets_) {
            marks[m.symbol] = m.price;
        }
        const auto view = portfolio_.view(marks);
        ASSERT_TRUE(view);
        Decimal unrealized;
        Decimal margin_used;
        for (const auto& [symbol, p] : portfolio_.state().positions) {
            const Decimal move = p.side == PositionSide::kLong ? sub(marks[symbol], p.entry_price)
                                                               : sub(p.entry_price, marks[symbol]);
            unrealized = add(unrealized, *checked_mul(move, p.quantity));
            margin_used = add(margin_used, p.margin);
        }
        ASSERT_EQ(view->unrealized_pnl, unrealized);
        ASSERT_EQ(view->equity, add(after.balance, unrealized));
        ASSERT_EQ(view->margin_used, margin_used);
        ASSERT_EQ(view->free_margin, sub(sub(view->equity, margin_used), reserved));
        ASSERT_EQ(view->margin_level.has_value(), margin_used > Decimal{});

        // A resting order's fill takes only margin the account has: valued with its symbol at
        // the fill price, free margin ends no lower than before, or else at least zero. Checked
        // where that fill is the step's only execution, so the state before the step is the
        // state before the fill (up to trailing anchors and triggers, which hold no margin).
        // Adding to a position rounds its average entry to 1e-8, which moves its unrealized PnL
        // by at most half a unit (1e-8) per whole unit of quantity, plus the product's rounding.
        if (kind == StepKind::kPrice && changes.fills.size() == 1 &&
            !changes.fills[0].order_id.empty()) {
            MarkPrices at_fill = marks;
            at_fill[market.symbol] = changes.fills[0].price;
            const auto was = account_view(before_, at_fill);
            const auto now = portfolio_.view(at_fill);
            ASSERT_TRUE(was && now);
            const Position* held = portfolio_.position(market.symbol);
            const Decimal rounding = Decimal::from_units(
                2 + (held != nullptr ? held->quantity.units() / Decimal::kOne : 0));
            ASSERT_GE(add(now->free_margin, rounding), std::min(was->free_margin, Decimal{}))
                << "fill of order " << changes.fills[0].order_id;
        }
    }

    void tally(StepKind kind, const Changes& changes) {
        for (const auto& f : changes.fills) {
            ++(f.liquidity == Liquidity::kMaker ? coverage_.maker_fills : coverage_.taker_fills);
        }
        for (const auto& o : changes.orders) {
            coverage_.stop_limit_fills +=
                o.type == OrderType::kStopLimit && o.status == OrderStatus::kFilled;
            coverage_.margin_cancels +=
                kind == StepKind::kPrice && o.status == OrderStatus::kCancelled && !o.reduce_only;
        }
        for (const auto& t : changes.trades) {
            ++coverage_.closes[t.close_reason];
            const Position* now = portfolio_.position(t.symbol);
            coverage_.flips += now != nullptr && now->side != t.side;
        }
        coverage_.funding += static_cast<int>(changes.funding.size());
    }

    Coverage& coverage_;
    std::mt19937_64 rng_;
    Portfolio portfolio_;
    std::vector<Market> markets_;
    PortfolioState before_;
    std::int64_t now_ = 1'700'000'000'000;
};

TEST(PortfolioProperties, InvariantsHoldAfterEveryStepOfRandomSequences) {
    Coverage coverage;
    for (int seed = 1; seed <= kSequences && !HasFailure(); ++seed) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        Simulation(static_cast<std::uint64_t>(seed), coverage).run();
    }
    // The sequences reach every kind of execution the invariants are about.
    EXPECT_GT(coverage.maker_fills, 100);
    EXPECT_GT(coverage.taker_fills, 100);
    EXPECT_GT(coverage.stop_limit_fills, 10);
    EXPECT_GT(coverage.flips, 10);
    EXPECT_GT(coverage.funding, 100);
    EXPECT_GT(coverage.margin_cancels, 5);
    for (const auto reason :
         {CloseReason::kManual, CloseReason::kStopLoss, CloseReason::kTakeProfit,
          CloseReason::kTrailingStop, CloseReason::kLiquidation}) {
        EXPECT_GT(coverage.closes[reason], 10) << to_string(reason);
    }
}

}  // namespace
}  // namespace botcore::domain
