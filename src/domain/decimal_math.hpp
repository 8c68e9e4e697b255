// Checked arithmetic on Decimal: every operation names its rounding and reports overflow as
// an empty optional instead of wrapping.
#pragma once

#include <cstdint>
#include <optional>

#include "domain/decimal.hpp"

namespace botcore::domain {

// How a result that falls between two representable values (1e-8 apart) is rounded.
// kHalfEven is the default for money (fees, margin, PnL): unbiased over many operations.
enum class Rounding {
    kHalfEven,    // to nearest, ties to the even last digit
    kTowardZero,  // truncate
    kDown,        // toward negative infinity
    kUp,          // toward positive infinity
};

std::optional<Decimal> checked_add(Decimal a, Decimal b);
std::optional<Decimal> checked_sub(Decimal a, Decimal b);
std::optional<Decimal> checked_neg(Decimal a);
// a * b, computed exactly in 128 bits and rounded once.
std::optional<Decimal> checked_mul(Decimal a, Decimal b, Rounding rounding = Rounding::kHalfEven);
// a / b; empty when b is zero.
std::optional<Decimal> checked_div(Decimal a, Decimal b, Rounding rounding = Rounding::kHalfEven);
// a * b / c with a single rounding (pro-rata shares, averages); empty when c is zero.
std::optional<Decimal> checked_mul_div(Decimal a, Decimal b, Decimal c,
                                       Rounding rounding = Rounding::kHalfEven);
std::optional<Decimal> checked_mul_int(Decimal a, std::int64_t n);
std::optional<Decimal> checked_div_int(Decimal a, std::int64_t n,
                                       Rounding rounding = Rounding::kHalfEven);

// The multiple of step nearest to value in the given direction (quantities round down to a
// step size, prices to a tick size). Empty when step is not positive or on overflow.
std::optional<Decimal> round_to_step(Decimal value, Decimal step, Rounding rounding);
// True when value is an exact multiple of a positive step.
bool is_multiple_of(Decimal value, Decimal step);

// Accumulates arithmetic for one computation and remembers the first overflow, so a
// multi-step formula is written plainly and checked once at the end. After an overflow
// every result is zero and overflowed() stays true.
class CheckedMath {
  public:
    Decimal add(Decimal a, Decimal b) { return take(checked_add(a, b)); }
    Decimal sub(Decimal a, Decimal b) { return take(checked_sub(a, b)); }
    Decimal neg(Decimal a) { return take(checked_neg(a)); }
    Decimal mul(Decimal a, Decimal b, Rounding r = Rounding::kHalfEven) {
        return take(checked_mul(a, b, r));
    }
    Decimal div(Decimal a, Decimal b, Rounding r = Rounding::kHalfEven) {
        return take(checked_div(a, b, r));
    }
    Decimal mul_div(Decimal a, Decimal b, Decimal c, Rounding r = Rounding::kHalfEven) {
        return take(checked_mul_div(a, b, c, r));
    }
    Decimal mul_int(Decimal a, std::int64_t n) { return take(checked_mul_int(a, n)); }
    Decimal div_int(Decimal a, std::int64_t n, Rounding r = Rounding::kHalfEven) {
        return take(checked_div_int(a, n, r));
    }
    Decimal round_to_step(Decimal value, Decimal step, Rounding r) {
        return take(domain::round_to_step(value, step, r));
    }
    bool overflowed() const { return overflowed_; }

    // The value of a checked result, or zero (and the overflow flag) when it is empty.
    Decimal take(std::optional<Decimal> result) {
        if (!result || overflowed_) {
            overflowed_ = true;
            return Decimal{};
        }
        return *result;
    }

  private:
    bool overflowed_ = false;
};

}  // namespace botcore::domain
