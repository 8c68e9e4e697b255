#include "realtime/websocket_frame.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "realtime/send_queue.hpp"

namespace botcore::realtime {
namespace {

// The header of a frame, decoded by the rules of RFC 6455 section 5.2.
struct Header {
    bool final = false;
    int opcode = 0;
    bool masked = false;
    std::uint64_t length = 0;
    std::size_t size = 0;
};

Header decode(const std::string& frame) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(frame.at(i)); };
    Header header;
    header.final = (byte(0) & 0x80) != 0;
    header.opcode = byte(0) & 0x0F;
    header.masked = (byte(1) & 0x80) != 0;
    const auto short_length = byte(1) & 0x7F;
    std::size_t extended = 0;
    if (short_length == 126) {
        extended = 2;
    } else if (short_length == 127) {
        extended = 8;
    } else {
        header.length = short_length;
    }
    for (std::size_t i = 0; i < extended; ++i) {
        header.length = (header.length << 8) | byte(2 + i);
    }
    header.size = 2 + extended;
    return header;
}

TEST(WebSocketFrame, EachLengthIsEncodedInTheFewestBytesTheProtocolAllows) {
    // Sizes at each boundary of the 7-bit, 16-bit and 64-bit length forms.
    for (const auto& [size, header_size] : {std::pair<std::size_t, std::size_t>{0, 2},
                                            {1, 2},
                                            {125, 2},
                                            {126, 4},
                                            {127, 4},
                                            {65'535, 4},
                                            {65'536, 10},
                                            {1'000'000, 10}}) {
        const std::string text(size, 'x');
        const auto frame = text_frame(text);
        const auto header = decode(frame);
        EXPECT_TRUE(header.final) << size;
        EXPECT_EQ(header.opcode, 1) << size;  // text
        EXPECT_FALSE(header.masked) << size;  // a server never masks
        EXPECT_EQ(header.length, size);
        EXPECT_EQ(header.size, header_size) << size;
        EXPECT_EQ(frame.size(), header_size + size);
        EXPECT_EQ(frame.substr(header.size), text);
    }
}

TEST(WebSocketFrame, ThePayloadLengthIsInNetworkByteOrder) {
    const auto frame = text_frame(std::string(0x1234, 'a'));
    EXPECT_EQ(static_cast<unsigned char>(frame[1]), 126);
    EXPECT_EQ(static_cast<unsigned char>(frame[2]), 0x12);
    EXPECT_EQ(static_cast<unsigned char>(frame[3]), 0x34);
}

TEST(WebSocketFrame, AMessageCarriesItsFrameAndGivesBackItsText) {
    const std::string text = R"({"type":"price","symbol":"BTCUSDT","price":"97000.5"})";
    const auto message = make_message(text, "prices:BTCUSDT");
    EXPECT_EQ(message->text(), text);
    EXPECT_EQ(message->frame, text_frame(text));
    EXPECT_EQ(message->header_size, 2u);
    EXPECT_EQ(message->coalesce_key, "prices:BTCUSDT");
}

}  // namespace
}  // namespace botcore::realtime
