#include "domain/decimal_math.hpp"

#include <limits>

namespace botcore::domain {
namespace {

using i128 = __int128;
using u128 = unsigned __int128;

std::optional<Decimal> narrow(i128 units) {
    if (units > std::numeric_limits<std::int64_t>::max() ||
        units < std::numeric_limits<std::int64_t>::min()) {
        return std::nullopt;
    }
    return Decimal::from_units(static_cast<std::int64_t>(units));
}

u128 magnitude(i128 v) {
    return v < 0 ? u128(0) - static_cast<u128>(v) : static_cast<u128>(v);
}

// n / d rounded as asked; d != 0. Operands stay far below 2^127 for int64 inputs.
i128 divide(i128 n, i128 d, Rounding rounding) {
    const i128 q = n / d;
    const i128 r = n % d;
    if (r == 0) {
        return q;
    }
    const bool negative = (n < 0) != (d < 0);
    const i128 away = negative ? q - 1 : q + 1;
    switch (rounding) {
        case Rounding::kTowardZero:
            return q;
        case Rounding::kDown:
            return negative ? away : q;
        case Rounding::kUp:
            return negative ? q : away;
        case Rounding::kHalfEven: {
            const u128 twice = magnitude(r) * 2;
            const u128 whole = magnitude(d);
            if (twice > whole) {
                return away;
            }
            if (twice < whole) {
                return q;
            }
            return (q % 2 == 0) ? q : away;
        }
    }
    return q;
}

}  // namespace

std::optional<Decimal> checked_add(Decimal a, Decimal b) {
    std::int64_t out = 0;
    if (__builtin_add_overflow(a.units(), b.units(), &out)) {
        return std::nullopt;
    }
    return Decimal::from_units(out);
}

std::optional<Decimal> checked_sub(Decimal a, Decimal b) {
    std::int64_t out = 0;
    if (__builtin_sub_overflow(a.units(), b.units(), &out)) {
        return std::nullopt;
    }
    return Decimal::from_units(out);
}

std::optional<Decimal> checked_neg(Decimal a) {
    return checked_sub(Decimal{}, a);
}

std::optional<Decimal> checked_mul(Decimal a, Decimal b, Rounding rounding) {
    return narrow(divide(i128(a.units()) * b.units(), Decimal::kOne, rounding));
}

std::optional<Decimal> checked_div(Decimal a, Decimal b, Rounding rounding) {
    if (b.units() == 0) {
        return std::nullopt;
    }
    return narrow(divide(i128(a.units()) * Decimal::kOne, b.units(), rounding));
}

std::optional<Decimal> checked_mul_div(Decimal a, Decimal b, Decimal c, Rounding rounding) {
    if (c.units() == 0) {
        return std::nullopt;
    }
    return narrow(divide(i128(a.units()) * b.units(), c.units(), rounding));
}

std::optional<Decimal> checked_mul_int(Decimal a, std::int64_t n) {
    return narrow(i128(a.units()) * n);
}

std::optional<Decimal> checked_div_int(Decimal a, std::int64_t n, Rounding rounding) {
    if (n == 0) {
        return std::nullopt;
    }
    return narrow(divide(a.units(), n, rounding));
}

std::optional<Decimal> round_to_step(Decimal value, Decimal step, Rounding rounding) {
    if (step.units() <= 0) {
        return std::nullopt;
    }
    return narrow(divide(value.units(), step.units(), rounding) * step.units());
}

bool is_multiple_of(Decimal value, Decimal step) {
    return step.units() > 0 && value.units() % step.units() == 0;
}

}  // namespace botcore::domain
