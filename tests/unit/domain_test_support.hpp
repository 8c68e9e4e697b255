// Shared by the domain's unit tests: decimals from literals, readable failure output, and
// predictable ids.
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "domain/decimal.hpp"
#include "domain/portfolio.hpp"

namespace botcore::domain {

// GoogleTest prints a Decimal as its text instead of its bytes.
inline void PrintTo(const Decimal& value, std::ostream* out) {
    *out << value.to_string();
}

// A decimal from a literal the test knows to be valid.
inline Decimal d(const char* text) {
    return *Decimal::parse(text);
}

// Ids "id1", "id2", ... in order of use.
inline Portfolio::IdSource counter_ids() {
    auto next = std::make_shared<int>(0);
    return [next] { return "id" + std::to_string(++*next); };
}

}  // namespace botcore::domain
