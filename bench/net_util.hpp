#pragma once

#include <chrono>
#include <cstdint>

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace parley::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

/// Hands out loopback source addresses 127.0.0.1 … 127.0.0.K in turn, so
/// that more connections fit than one address has ephemeral ports.
class source_pool {
public:
  explicit source_pool(uint32_t count) : count_(count) {}
  /// The next source address.
  asio::ip::address_v4 next();
  uint32_t count() const {
    return count_;
  }

private:
  uint32_t count_;
  uint32_t next_ = 0;
};

/// Opens `socket` and binds it to `source` with the port left open until
/// connect (IP_BIND_ADDRESS_NO_PORT), so ports are shared across
/// destinations instead of reserved at bind time.
void open_bound(tcp::socket& socket, const asio::ip::address_v4& source,
                error_code& ec);

/// Steady-clock nanoseconds (the clock put in each message).
inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

} // namespace parley::bench
