// Fixed-point decimal with 8 fractional digits: the representation of every price, quantity
// and amount of money. Never a double.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace botcore::domain {

class Decimal {
  public:
    static constexpr int kScale = 8;
    static constexpr std::int64_t kOne = 100'000'000;

    constexpr Decimal() = default;
    static constexpr Decimal from_units(std::int64_t units) { return Decimal(units); }
    static constexpr Decimal from_integer(std::int64_t whole) { return Decimal(whole * kOne); }

    // Exact parse of "123", "-0.5", "43250.12345678". Rejects exponents, a leading '+',
    // more than max_fraction_digits fractional digits, empty parts ("1.", ".5") and overflow.
    static std::optional<Decimal> parse(std::string_view text, int max_fraction_digits = kScale);

    constexpr std::int64_t units() const { return units_; }
    // Shortest exact text: "10000", "0.5", "-1.25".
    std::string to_string() const;

    constexpr auto operator<=>(const Decimal&) const = default;

  private:
    constexpr explicit Decimal(std::int64_t units) : units_(units) {}
    std::int64_t units_ = 0;
};

}  // namespace botcore::domain
