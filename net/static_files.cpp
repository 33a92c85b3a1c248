#include "net/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "net/text.hpp"

namespace parley {

namespace fs = std::filesystem;

namespace {

std::string content_type_of(const std::string& path) {
  auto ext = fs::path{path}.extension().string();
  if (ext == ".html")
    return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs")
    return "text/javascript; charset=utf-8";
  if (ext == ".css")
    return "text/css; charset=utf-8";
  if (ext == ".json")
    return "application/json; charset=utf-8";
  if (ext == ".svg")
    return "image/svg+xml";
  if (ext == ".png")
    return "image/png";
  if (ext == ".ico")
    return "image/x-icon";
  return "application/octet-stream";
}

} // namespace

static_files::static_files(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    return;
  for (const auto& entry : fs::recursive_directory_iterator(root, ec)) {
    if (!entry.is_regular_file())
      continue;
    std::ifstream in{entry.path(), std::ios::binary};
    std::ostringstream body;
    body << in.rdbuf();
    auto rel = "/" + fs::relative(entry.path(), root).generic_string();
    files_[rel] = file{content_type_of(rel), body.str()};
  }
}

http_response static_files::serve(const std::string& path,
                                  bool head_only) const {
  auto decoded = percent_decode(path, false).value_or(path);
  auto name = decoded == "/" ? std::string{"/index.html"} : decoded;
  auto it = files_.find(name);
  // Paths without an extension are client-side routes of the web app.
  if (it == files_.end() && fs::path{name}.extension().empty())
    it = files_.find("/index.html");
  if (it == files_.end())
    return error_response(http::status::not_found, "Not found");
  http_response res{http::status::ok, 11};
  res.set(http::field::content_type, it->second.content_type);
  res.set(http::field::cache_control, "no-cache");
  res.body() = head_only ? std::string{} : it->second.body;
  res.prepare_payload();
  if (head_only)
    res.content_length(it->second.body.size());
  return res;
}

} // namespace parley
