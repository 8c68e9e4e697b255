#include "api/json.hpp"

#include <gtest/gtest.h>

namespace botcore::api {
namespace {

TEST(JsonFields, ReadsDeclaredFields) {
    JsonFields body(R"({"email":"a@b.co","count":3,"on":true})", {"email", "count", "on", "note"});
    EXPECT_EQ(body.required_string("email"), "a@b.co");
    EXPECT_EQ(body.optional_int("count"), 3);
    EXPECT_EQ(body.optional_bool("on"), true);
    EXPECT_EQ(body.optional_string("note"), std::nullopt);
    EXPECT_FALSE(body.error().has_value());
}

TEST(JsonFields, MalformedJsonIsABadRequest) {
    JsonFields body(R"({"email": )", {"email"});
    ASSERT_TRUE(body.error().has_value());
    EXPECT_EQ(body.error()->status, 400);
    EXPECT_EQ(body.error()->code, "bad_request");
}

TEST(JsonFields, TrailingGarbageIsABadRequest) {
    JsonFields body(R"({"email":"x"} extra)", {"email"});
    ASSERT_TRUE(body.error().has_value());
    EXPECT_EQ(body.error()->status, 400);
}

TEST(JsonFields, NonObjectBodyIsABadRequest) {
    for (const char* text : {"[]", "\"x\"", "5", "null"}) {
        JsonFields body(text, {"email"});
        ASSERT_TRUE(body.error().has_value()) << text;
        EXPECT_EQ(body.error()->status, 400) << text;
    }
}

TEST(JsonFields, UnknownFieldIsNamed) {
    JsonFields body(R"({"email":"x","admin":true})", {"email"});
    ASSERT_TRUE(body.error().has_value());
    EXPECT_EQ(body.error()->status, 422);
    EXPECT_EQ(body.error()->field, "admin");
}

TEST(JsonFields, MissingRequiredFieldIsNamed) {
    JsonFields body(R"({})", {"email", "password"});
    (void)body.required_string("email");
    (void)body.required_string("password");
    ASSERT_TRUE(body.error().has_value());
    EXPECT_EQ(body.error()->code, "validation_failed");
    EXPECT_EQ(body.error()->field, "email");  // the first problem is the one reported
}

TEST(JsonFields, WrongTypeIsNamed) {
    JsonFields body(R"({"email":5})", {"email"});
    (void)body.required_string("email");
    ASSERT_TRUE(body.error().has_value());
    EXPECT_EQ(body.error()->field, "email");
}

TEST(JsonFields, InvalidUtf8IsABadRequest) {
    JsonFields body("{\"email\":\"\xff\xfe\"}", {"email"});
    ASSERT_TRUE(body.error().has_value());
    EXPECT_EQ(body.error()->status, 400);
}

TEST(JsonFields, AnEscapedLoneSurrogateIsABadRequest) {
    for (const char* text : {R"({"email":"a\udc00"})", R"({"email":["ok","\ud800x"]})"}) {
        JsonFields body(text, {"email"});
        ASSERT_TRUE(body.error().has_value()) << text;
        EXPECT_EQ(body.error()->status, 400) << text;
    }
    JsonFields pair(R"({"email":"\ud83d\ude00"})", {"email"});  // a surrogate pair is fine
    EXPECT_EQ(pair.required_string("email"), "\xF0\x9F\x98\x80");
    EXPECT_FALSE(pair.error().has_value());
}

TEST(JsonFields, AFieldGivenTwiceIsNamed) {
    JsonFields body(R"({"quantity":"0.002","symbol":"BTCUSDT","quantity":"100"})",
                    {"symbol", "quantity"});
    ASSERT_TRUE(body.error().has_value());
    EXPECT_EQ(body.error()->status, 422);
    EXPECT_EQ(body.error()->field, "quantity");
}

// A million levels of nesting would overflow the stack of a recursive parser.
TEST(JsonFields, ADeeplyNestedBodyIsReadWithoutRecursion) {
    constexpr std::size_t kDepth = 1'000'000;
    const std::string open(kDepth, '[');
    JsonFields unterminated(open, {"email"});
    ASSERT_TRUE(unterminated.error().has_value());
    EXPECT_EQ(unterminated.error()->status, 400);

    JsonFields nested(R"({"email":)" + open + std::string(kDepth, ']') + "}", {"email"});
    (void)nested.required_string("email");
    ASSERT_TRUE(nested.error().has_value());
    EXPECT_EQ(nested.error()->field, "email");
}

TEST(JsonWriter, ReplacesWhatIsNotUtf8) {
    JsonWriter json;
    json.begin_object();
    json.field("cut", std::string_view("ab\xC3"));          // a code point cut in half
    json.field("lone", std::string_view("\xED\xB0\x80z"));  // an encoded lone surrogate
    json.field("fine", std::string_view("\xC3\xA9"));
    json.end_object();
    EXPECT_EQ(json.take(),
              "{\"cut\":\"ab\xEF\xBF\xBD\",\"lone\":\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDz\","
              "\"fine\":\"\xC3\xA9\"}");
}

TEST(JsonWriter, EscapesStrings) {
    JsonWriter json;
    json.begin_object();
    json.field("text", "a\"b\\c\n");
    json.end_object();
    EXPECT_EQ(json.take(), R"({"text":"a\"b\\c\n"})");
}

TEST(ErrorResponse, ClipsWhatAClientSentToAFewHundredBytes) {
    const std::string symbol(1 << 20, 'X');
    const auto response =
        error_response(ApiError::validation(symbol, "unknown symbol '" + symbol + "'"));
    EXPECT_EQ(response.status, 422);
    EXPECT_LT(response.body.size(), 1024u);
    EXPECT_NE(response.body.find("unknown symbol 'XXX"), std::string::npos);
    EXPECT_NE(response.body.find("..."), std::string::npos);
}

TEST(ErrorResponse, CarriesTheContractShapeAndRetryAfter) {
    const auto response = error_response(ApiError::rate_limited("slow down", 7));
    EXPECT_EQ(response.status, 429);
    EXPECT_EQ(response.body, R"({"error":{"code":"rate_limited","message":"slow down"}})");
    ASSERT_EQ(response.headers.size(), 1u);
    EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>{"Retry-After", "7"}));
}

}  // namespace
}  // namespace botcore::api

namespace botcore::api {
namespace {

TEST(JsonFields, NullForARequiredFieldIsMissing) {
    JsonFields body(R"({"email":null})", {"email"});
    (void)body.required_string("email");
    ASSERT_TRUE(body.error().has_value());
    EXPECT_EQ(body.error()->field, "email");
}

TEST(JsonFields, NullForAnOptionalFieldIsAbsent) {
    JsonFields body(R"({"note":null})", {"note"});
    EXPECT_EQ(body.optional_string("note"), std::nullopt);
    EXPECT_FALSE(body.error().has_value());
}

}  // namespace
}  // namespace botcore::api
