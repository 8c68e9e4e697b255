#include "realtime/client_message.hpp"

#include <gtest/gtest.h>

namespace botcore::realtime {
namespace {

TEST(ClientMessage, SubscribeCarriesItsChannelsInOrder) {
    const auto message =
        parse_client_message(R"({"type":"subscribe","channels":["prices:BTCUSDT","account"]})");
    ASSERT_TRUE(message);
    const auto& subscribe = std::get<SubscribeMessage>(*message);
    EXPECT_EQ(subscribe.channels, (std::vector<std::string>{"prices:BTCUSDT", "account"}));
}

TEST(ClientMessage, AuthUnsubscribeAndPingAreParsed) {
    EXPECT_EQ(
        std::get<AuthMessage>(*parse_client_message(R"({"type":"auth","token":"t.k.n"})")).token,
        "t.k.n");
    EXPECT_EQ(std::get<UnsubscribeMessage>(
                  *parse_client_message(R"({"type":"unsubscribe","channels":["account"]})"))
                  .channels.size(),
              1u);
    EXPECT_EQ(std::get<PingMessage>(*parse_client_message(R"({"type":"ping","ts_ms":42})")).ts_ms,
              42);
    EXPECT_EQ(std::get<PingMessage>(*parse_client_message(R"({"type":"ping"})")).ts_ms, 0);
}

TEST(ClientMessage, NotJsonOrNotAnObjectIsABadRequest) {
    for (const auto* text : {"", "nope", "[1,2]", "\"subscribe\"", R"({"type":"ping"} {})"}) {
        const auto message = parse_client_message(text);
        ASSERT_FALSE(message) << text;
        EXPECT_EQ(message.error().code, "bad_request") << text;
    }
}

TEST(ClientMessage, UnknownTypesAndFieldsAreValidationErrors) {
    for (const auto* text : {R"({"type":"trade"})", R"({"channels":[]})", R"({"type":7})",
                             R"({"type":"ping","extra":1})",
                             R"({"type":"subscribe","channels":["account"],"x":true})"}) {
        const auto message = parse_client_message(text);
        ASSERT_FALSE(message) << text;
        EXPECT_EQ(message.error().code, "validation_failed") << text;
    }
}

TEST(ClientMessage, ChannelsMustBeANonEmptyBoundedListOfStrings) {
    EXPECT_FALSE(parse_client_message(R"({"type":"subscribe","channels":[]})"));
    EXPECT_FALSE(parse_client_message(R"({"type":"subscribe","channels":"account"})"));
    EXPECT_FALSE(parse_client_message(R"({"type":"subscribe","channels":[1]})"));
    EXPECT_FALSE(parse_client_message(R"({"type":"subscribe"})"));
    std::string many = R"({"type":"subscribe","channels":[)";
    for (std::size_t i = 0; i <= kMaxChannelsPerMessage; ++i) {
        many += (i ? ",\"account\"" : "\"account\"");
    }
    many += "]}";
    EXPECT_FALSE(parse_client_message(many));
}

TEST(ClientMessage, PingTimestampMustBeAnInteger) {
    EXPECT_FALSE(parse_client_message(R"({"type":"ping","ts_ms":"5"})"));
    EXPECT_FALSE(parse_client_message(R"({"type":"ping","ts_ms":1.5})"));
}

}  // namespace
}  // namespace botcore::realtime
