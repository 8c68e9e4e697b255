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

TEST(JsonWriter, EscapesStrings) {
    JsonWriter json;
    json.begin_object();
    json.field("text", "a\"b\\c\n");
    json.end_object();
    EXPECT_EQ(json.take(), R"({"text":"a\"b\\c\n"})");
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
