#include "http_parser.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace parley::bench {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
              return std::tolower(static_cast<unsigned char>(x))
                     == std::tolower(static_cast<unsigned char>(y));
            });
}

bool icontains(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size())
    return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i)
    if (iequals(haystack.substr(i, needle.size()), needle))
      return true;
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty()
         && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Reads the decimal number after `key` in `data`; false if absent.
template <class T>
bool number_after(std::string_view data, std::string_view key, T& out) {
  auto pos = data.find(key);
  if (pos == std::string_view::npos)
    return false;
  pos += key.size();
  T value = 0;
  size_t digits = 0;
  while (pos < data.size() && data[pos] >= '0' && data[pos] <= '9'
         && digits < 19) {
    value = static_cast<T>(value * 10 + static_cast<T>(data[pos] - '0'));
    ++pos;
    ++digits;
  }
  out = value;
  return digits > 0;
}

} // namespace

void response_parser::reset() {
  state_ = state::header;
  head_ = {};
  buf_.clear();
  remaining_ = 0;
}

bool response_parser::parse_head(std::string_view block) {
  auto eol = block.find("\r\n");
  auto status_line = block.substr(0, eol);
  if (status_line.substr(0, 5) != "HTTP/" || status_line.size() < 12)
    return false;
  bool http10 = status_line.substr(0, 8) == "HTTP/1.0";
  head_.status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(status_line[i])))
      return false;
    head_.status = head_.status * 10 + (status_line[i] - '0');
  }
  bool keep_alive = false;
  while (eol != std::string_view::npos && eol + 2 < block.size()) {
    auto start = eol + 2;
    eol = block.find("\r\n", start);
    auto line = block.substr(start, eol == std::string_view::npos
                                      ? std::string_view::npos
                                      : eol - start);
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    auto name = trim(line.substr(0, colon));
    auto value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      int64_t n = 0;
      if (!number_after(value, "", n))
        return false;
      head_.content_length = n;
    } else if (iequals(name, "transfer-encoding")) {
      head_.chunked = icontains(value, "chunked");
    } else if (iequals(name, "connection")) {
      head_.close = icontains(value, "close");
      keep_alive = icontains(value, "keep-alive");
    }
  }
  if (http10 && !keep_alive)
    head_.close = true;
  return true;
}

response_parser::result response_parser::feed(const char* data, size_t size,
                                              size_t& used, body_sink& sink) {
  size_t i = 0;
  while (i < size && state_ != state::done && state_ != state::error) {
    switch (state_) {
    case state::header: {
      // Search only the new bytes (and the 3 before) for the blank line.
      auto old = buf_.size();
      buf_.append(data + i, size - i);
      auto end = buf_.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
      if (end == std::string::npos) {
        i = size;
        if (buf_.size() > max_header)
          state_ = state::error;
        break;
      }
      i += end + 4 - old;
      if (!parse_head(std::string_view{buf_}.substr(0, end + 2))) {
        state_ = state::error;
        break;
      }
      std::string{}.swap(buf_); // give the memory back
      bool no_body
        = head_.status == 204 || head_.status == 304 || head_.status / 100 == 1;
      if (no_body || head_.content_length == 0)
        state_ = state::done;
      else if (head_.chunked)
        state_ = state::chunk_size;
      else if (head_.content_length > 0) {
        remaining_ = static_cast<uint64_t>(head_.content_length);
        state_ = state::body_length;
      } else
        state_ = state::body_eof;
      break;
    }
    case state::body_length:
    case state::chunk_data: {
      auto n = static_cast<size_t>(std::min<uint64_t>(remaining_, size - i));
      sink.on_body({data + i, n});
      i += n;
      remaining_ -= n;
      if (remaining_ == 0)
        state_ = state_ == state::body_length ? state::done : state::chunk_crlf;
      break;
    }
    case state::chunk_size:
    case state::chunk_crlf:
    case state::trailer: {
      bool complete = false;
      i += take_line(data + i, size - i, complete);
      if (complete)
        on_line();
      break;
    }
    case state::body_eof:
      sink.on_body({data + i, size - i});
      i = size;
      break;
    default:
      break;
    }
  }
  used = i;
  if (state_ == state::error)
    return result::error;
  return state_ == state::done ? result::done : result::need_more;
}

size_t response_parser::take_line(const char* data, size_t size,
                                  bool& complete) {
  auto* nl = static_cast<const char*>(std::memchr(data, '\n', size));
  size_t n = nl ? static_cast<size_t>(nl - data) + 1 : size;
  buf_.append(data, n);
  complete = nl != nullptr;
  if (!complete && buf_.size() > 1024)
    state_ = state::error;
  return n;
}

// One framing line of the chunked encoding is complete in buf_.
void response_parser::on_line() {
  std::string_view line = trim(buf_);
  if (!line.empty() && line.back() == '\n')
    line.remove_suffix(1);
  line = trim(line);
  if (state_ == state::chunk_crlf) {
    state_ = line.empty() ? state::chunk_size : state::error;
  } else if (state_ == state::trailer) {
    if (line.empty())
      state_ = state::done;
  } else {
    uint64_t n = 0;
    size_t digits = 0;
    for (char c : line.substr(0, line.find(';'))) {
      int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
              : (std::tolower(static_cast<unsigned char>(c)) >= 'a'
                 && std::tolower(static_cast<unsigned char>(c)) <= 'f')
                ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                : -1;
      if (v < 0 || ++digits > 15) {
        state_ = state::error;
        break;
      }
      n = n * 16 + static_cast<uint64_t>(v);
    }
    if (state_ != state::error) {
      remaining_ = n;
      state_ = digits == 0 ? state::error
               : n == 0    ? state::trailer
                           : state::chunk_data;
    }
  }
  buf_.clear();
}

void sse_decoder::feed(std::string_view bytes, handler& h) {
  while (!bytes.empty()) {
    auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(bytes);
      return;
    }
    auto piece = bytes.substr(0, nl);
    bytes.remove_prefix(nl + 1);
    if (partial_.empty()) {
      line(piece, h); // the common case: no copy
    } else {
      partial_.append(piece);
      std::string whole;
      whole.swap(partial_);
      line(whole, h);
    }
  }
}

void sse_decoder::line(std::string_view text, handler& h) {
  if (!text.empty() && text.back() == '\r')
    text.remove_suffix(1);
  if (text.empty()) {
    if (has_id_ || has_data_)
      h.on_event(id_, has_id_, type_, data_);
    else if (!type_.empty())
      h.on_comment(type_); // a data-less event: Nchan's `event: ping`
    has_id_ = has_data_ = false;
    data_.clear();
    type_.clear();
    return;
  }
  if (text.front() == ':')
    return h.on_comment(text.substr(1));
  auto colon = text.find(':');
  auto field = text.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_)
      data_ += '\n';
    data_.append(value);
    has_data_ = true;
  } else if (field == "id") {
    id_.assign(value);
    has_id_ = true;
  } else if (field == "event") {
    type_.assign(value);
  }
}

bool parse_payload(std::string_view data, payload& out) {
  return number_after(data, "t=", out.sent_ns)
         && number_after(data, " u=", out.user)
         && number_after(data, " n=", out.n);
}

std::string format_payload(const payload& p) {
  return "t=" + std::to_string(p.sent_ns) + " u=" + std::to_string(p.user)
         + " n=" + std::to_string(p.n);
}

} // namespace parley::bench
