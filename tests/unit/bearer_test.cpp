#include "auth/bearer.hpp"

#include <gtest/gtest.h>

namespace botcore::auth {
namespace {

TEST(BearerToken, ReadsTheTokenWithTheSchemeInAnyCaseAndBlanksAround) {
    EXPECT_EQ(bearer_token("Bearer abc.def"), "abc.def");
    EXPECT_EQ(bearer_token("bearer abc.def"), "abc.def");
    EXPECT_EQ(bearer_token("BEARER  abc.def \t"), "abc.def");
}

TEST(BearerToken, AnythingElseIsNoToken) {
    for (const char* value :
         {"", "Bearer", "Bearer ", "Bearer   ", "Basic abc", "Bearerabc", "Token abc"}) {
        EXPECT_EQ(bearer_token(value), std::nullopt) << "'" << value << "'";
    }
}

}  // namespace
}  // namespace botcore::auth
