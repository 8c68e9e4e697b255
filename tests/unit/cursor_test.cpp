#include "api/cursor.hpp"

#include <gtest/gtest.h>

namespace botcore::api {
namespace {

TEST(Cursor, RoundTripsTheLastId) {
    EXPECT_EQ(decode_cursor(encode_cursor("01a21967ce4c7ee6a36644b0ec0d")),
              "01a21967ce4c7ee6a36644b0ec0d");
}

TEST(Cursor, IsUrlSafe) {
    const auto cursor = encode_cursor("id?with/odd+chars");
    EXPECT_EQ(cursor.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
}

TEST(Cursor, RejectsAnythingItDidNotProduce) {
    // "not-a-cursor", "123", ":123", "abc:id", "after:" (no id)
    for (const char* text :
         {"", "!!!", "bm90LWEtY3Vyc29y", "MTIz", "OjEyMw", "YWJjOmlk", "YWZ0ZXI6"}) {
        EXPECT_FALSE(decode_cursor(text).has_value()) << text;
    }
    EXPECT_FALSE(decode_cursor(std::string(300, 'A')).has_value());
    // Well-formed but naming no id this API makes: "after:../../", "after:a b"
    for (const char* text : {"YWZ0ZXI6Li4vLi4v", "YWZ0ZXI6YSBi"}) {
        EXPECT_FALSE(decode_cursor(text).has_value()) << text;
    }
}

}  // namespace
}  // namespace botcore::api
