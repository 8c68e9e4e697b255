// A user's paper account (balance and running totals) and the derived view the API shows.
#pragma once

#include <optional>
#include <string>

#include "domain/decimal.hpp"
#include "domain/fees.hpp"

namespace botcore::domain {

inline constexpr Decimal kDefaultInitialBalance = Decimal::from_integer(10'000);

// Invariant: balance == initial_balance + realized_pnl - fees_paid - funding_paid.
struct Account {
    std::string user_id;
    std::string currency = "USDT";
    Decimal initial_balance = kDefaultInitialBalance;
    Decimal balance = kDefaultInitialBalance;
    Decimal realized_pnl;  // price PnL of closed trades, before fees
    Decimal fees_paid;
    Decimal funding_paid;  // net: positive when the account paid more than it received
    Decimal maker_fee_rate = FeeModel::kDefaultMakerRate;
    Decimal taker_fee_rate = FeeModel::kDefaultTakerRate;

    FeeModel fee_model() const { return FeeModel{maker_fee_rate, taker_fee_rate}; }
    bool operator==(const Account&) const = default;
};

struct AccountView {
    std::string currency = "USDT";
    Decimal balance;
    Decimal equity;  // balance + unrealized PnL
    Decimal margin_used;
    Decimal reserved_margin;              // held by resting orders
    Decimal free_margin;                  // equity - margin_used - reserved_margin
    std::optional<Decimal> margin_level;  // equity / margin_used; none without margin used
    Decimal unrealized_pnl;
    Decimal realized_pnl;
    Decimal fees_paid;
    Decimal funding_paid;

    bool operator==(const AccountView&) const = default;
};

}  // namespace botcore::domain
