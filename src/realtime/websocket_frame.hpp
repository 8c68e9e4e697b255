// RFC 6455 framing of a server's text message: one final, unmasked text frame. A message is
// framed once when it is made, so a broadcast's frame is shared by every recipient and written
// to each socket as it is.
#pragma once

#include <string>
#include <string_view>

namespace botcore::realtime {

// The frame's header followed by text.
std::string text_frame(std::string_view text);

}  // namespace botcore::realtime
