#pragma once

#include <map>
#include <memory>
#include <string>

#include "net/http_util.hpp"

namespace parley {

/// The web client, read into memory once at start so that serving it never
/// touches the disk on an Asio thread. Immutable after construction, hence
/// safe to share between threads.
class static_files {
public:
  /// Loads every regular file under `root` (missing root: no files).
  explicit static_files(const std::string& root);

  /// The file for `path`; unknown paths without a file extension get
  /// index.html (the single-page app's fallback); otherwise 404.
  http_response serve(const std::string& path, bool head_only) const;

  size_t size() const {
    return files_.size();
  }

private:
  struct file {
    std::string content_type;
    std::string body;
  };
  std::map<std::string, file> files_; // key: "/index.html"
};

} // namespace parley
