#include "net_util.hpp"

#include <netinet/in.h>

#include <boost/asio/socket_base.hpp>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace parley::bench {

asio::ip::address_v4 source_pool::next() {
  // 127.0.0.1 + i; every 127/8 address is local on Linux.
  auto i = next_++ % count_;
  return asio::ip::address_v4{(127u << 24) | (1u + i)};
}

void open_bound(tcp::socket& socket, const asio::ip::address_v4& source,
                error_code& ec) {
  socket.open(tcp::v4(), ec);
  if (ec)
    return;
  using no_port
    = asio::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>;
  socket.set_option(no_port{true}, ec); // best effort: old kernels lack it
  ec.clear();
  socket.set_option(tcp::no_delay{true}, ec);
  if (ec)
    return;
  socket.bind(tcp::endpoint{source, 0}, ec);
}

} // namespace parley::bench
