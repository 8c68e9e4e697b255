#include "domain/decimal.hpp"

namespace botcore::domain {

std::optional<Decimal> Decimal::parse(std::string_view text, int max_fraction_digits) {
    bool negative = false;
    if (!text.empty() && text.front() == '-') {
        negative = true;
        text.remove_prefix(1);
    }
    const auto dot = text.find('.');
    const std::string_view whole = text.substr(0, dot);
    const std::string_view fraction =
        dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
    if (whole.empty() || (dot != std::string_view::npos && fraction.empty()) ||
        static_cast<int>(fraction.size()) > max_fraction_digits || max_fraction_digits > kScale) {
        return std::nullopt;
    }
    std::int64_t units = 0;
    auto accumulate = [&units](std::string_view digits) {
        for (const char c : digits) {
            if (c < '0' || c > '9' || __builtin_mul_overflow(units, 10, &units) ||
                __builtin_add_overflow(units, c - '0', &units)) {
                return false;
            }
        }
        return true;
    };
    if (!accumulate(whole) || !accumulate(fraction)) {
        return std::nullopt;
    }
    for (std::size_t i = fraction.size(); i < static_cast<std::size_t>(kScale); ++i) {
        if (__builtin_mul_overflow(units, 10, &units)) {
            return std::nullopt;
        }
    }
    return Decimal(negative ? -units : units);
}

std::string Decimal::to_string() const {
    // Work in unsigned so INT64_MIN formats too.
    const bool negative = units_ < 0;
    const auto magnitude =
        negative ? 0 - static_cast<std::uint64_t>(units_) : static_cast<std::uint64_t>(units_);
    const std::uint64_t whole = magnitude / kOne;
    std::uint64_t fraction = magnitude % kOne;
    std::string out = negative ? "-" : "";
    out += std::to_string(whole);
    if (fraction != 0) {
        std::string digits = std::to_string(fraction);
        digits.insert(0, kScale - digits.size(), '0');
        while (digits.back() == '0') {
            digits.pop_back();
        }
        out += '.';
        out += digits;
    }
    return out;
}

}  // namespace botcore::domain
