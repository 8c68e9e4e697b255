// Where the HTTP and WebSocket clients connect, resolved once per run.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <string>
#include <vector>

namespace botcore::load {

struct ServerAddress {
    std::vector<boost::asio::ip::tcp::endpoint> endpoints;
    std::string host_header;
};

}  // namespace botcore::load
